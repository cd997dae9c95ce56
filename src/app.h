/*
 * app.h: the running application: what every request and job can reach.
 *
 * One app exists per serve process (and per CLI command that needs the
 * store). It owns the configuration, the store, the event hub, the job
 * worker and the active dialog concept; the modules borrow them.
 */
#ifndef CT_APP_H
#define CT_APP_H

#include "core/config.h"
#include "core/events.h"
#include "core/seal.h"
#include "store/store.h"
#include "triage/versions.h"

typedef struct jobs_worker jobs_worker;

typedef struct app {
	config cfg;
	store *store;
	events_hub *events;
	jobs_worker *jobs;    /* NULL outside serve */
	seal_key key;         /* seals channel secrets and TOTP secrets */
	triage_active triage; /* the active dialog concept, parsed */
} app;

#endif
