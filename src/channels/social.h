/*
 * social.h: the pure parts of the Mastodon and X adapters (mastodon.c, x.c),
 * apart from the network so that unit tests and fuzz targets reach them.
 *
 * mastodon_parse.c turns notifications into ingest messages and status HTML
 * into plain text; x_parse.c turns a page of the mentions timeline into
 * ingest messages and computes the poll cursor of the next request. None of
 * these functions does I/O; none keeps state.
 */
#ifndef CT_CHANNELS_SOCIAL_H
#define CT_CHANNELS_SOCIAL_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* The text of HTML (a Mastodon status's content) as plain text appended to
 * out: tags are dropped, <br> becomes a newline, the end of a paragraph a
 * blank line, entities are decoded (the named ones &amp; &lt; &gt; &quot;
 * &apos; &nbsp;, decimal and hexadecimal), leading and trailing white space
 * is trimmed and the text cut to 16 KiB on a character boundary.
 * CT_ERR_TOO_LARGE when out's cap is hit. */
ct_err social_html_to_text(const char *html, buf *out);

/* The same for a plain text with escaped entities (X's text, which escapes
 * & < > as &amp; &lt; &gt;): entities decoded, a '<' kept as it is. */
ct_err social_entities_to_text(const char *text, buf *out);

/* Whether decimal id a is greater than b (ids as strings of digits; a
 * longer string of digits is larger). NULL is smaller than anything. */
int social_id_greater(const char *a, const char *b);

/* Make msg (an ingest message built from a platform's data) one that ingest
 * accepts, so that one odd post cannot stop a channel's polling: a thread_id
 * or in_reply_to that is too long is dropped, names, handles and the strings
 * of meta and attachments are cut, a created_at that is no RFC 3339 time,
 * before 1990 or in the future is dropped (ingest takes the time of arrival).
 * Returns 0 when the message cannot be stored at all (external_id or author
 * id too long): drop it. */
int social_fit_message(json_t *msg);

/* One Mastodon notification as an ingest message (new reference, without
 * "channel"), or NULL when it is not a mention with a usable status. */
json_t *mastodon_parse_notification(const json_t *notification);

/* A page of GET /api/v1/notifications (an array, newest first): its
 * mentions appended to messages (an array) and *newest set to the largest
 * notification id on the page (borrowed from page; untouched when the page
 * is empty). CT_ERR_INVALID when page is not an array. */
ct_err mastodon_parse_page(const json_t *page, json_t *messages, const char **newest);

/* One conversation of GET /api/v1/conversations as the ingest message of
 * its last status (new reference), or NULL when that status is ours (the
 * conversation's accounts are the others) or unusable. */
json_t *mastodon_parse_conversation(const json_t *conversation);

/* A page of GET /api/v1/conversations (an array): the messages of the last
 * statuses from others appended to messages, *newest set to the largest
 * last_status id (borrowed; untouched when the page is empty).
 * CT_ERR_INVALID when page is not an array. */
ct_err mastodon_parse_conversations(const json_t *page, json_t *messages, const char **newest);

/* The visibility a reply to a status of visibility v gets: "direct" stays
 * "direct", "private" stays "private", anything else is "unlisted" (a reply
 * shows in the thread and on our profile but not on public timelines).
 * Static string. */
const char *mastodon_reply_visibility(const char *v);

/* The ingest messages of one page of GET /2/users/:id/mentions (an object
 * with data, includes.users and meta), appended to messages. CT_ERR_INVALID
 * when page is not an object or data is not an array. */
ct_err x_parse_mentions(const json_t *page, json_t *messages);

/* The X poll cursor after a page: given the cursor the request was made with
 * (NULL on the first poll) and the page's meta, the new cursor (new reference)
 * and *more (follow it at once). X pages backwards from the newest post down
 * to since_id with meta.next_token, so since_id moves to the newest id seen
 * only after the last page; until then the cursor keeps {"since_id",
 * "pending": {"next_token", "newest_id"}}. The first poll (cursor NULL)
 * takes only the newest page, and yields {} when there was none, so that the
 * next poll walks everything that came since. Returns NULL when the cursor
 * stays as it was. */
json_t *x_next_cursor(const json_t *cursor, const json_t *meta, int *more);

#endif
