/*
 * routing.h: which agent of a team gets a new conversation.
 *
 * The concept gives each team an assignment mode: none (the conversation
 * waits in the team's queue), round robin (the next member after the one
 * who got the team's last conversation) or least loaded (the member with
 * the fewest open and pending conversations). Either way only members are
 * considered who are active, not marked away, inside their working hours
 * (users.working_hours, JSON {"mon": ["08:00-16:00"], ...} in the concept's
 * time zone; none set: always), and below their capacity (users.capacity,
 * else the team's; 0: unlimited). When nobody qualifies, nobody is
 * assigned and the conversation waits in the team's queue.
 */
#ifndef CT_ROUTING_H
#define CT_ROUTING_H

#include <stdint.h>

#include "store/store.h"
#include "triage/concept.h"

/* The team's id by name (inside the caller's transaction); 0 when the
 * installation has no such team. */
ct_err routing_team_id(store_conn *c, const char *name, int64_t *team_id);

/* Pick an agent of team (id team_id) at time now into *user_id (0: none
 * qualifies or the team assigns nobody); remembers the pick for round
 * robin. Inside the caller's write c. */
ct_err routing_pick(store_conn *c, const concept *k, const concept_team *team, int64_t team_id,
		    int64_t now, int64_t *user_id);

/* 1 when a working-hours JSON text (NULL or "": none set) allows local
 * weekday wd (0 = Monday) and minute of the day. Malformed text allows
 * nothing. */
int routing_works_at(const char *working_hours, int wd, int minute);

#endif
