/*
 * retry.c: another try for a reply whose delivery failed (see inbox.h).
 *
 * The reply's job is queued again under the same idempotency key, so a
 * platform that did get the first attempt drops the repeat; the message
 * shows "queued" again until the job's outcome is recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "inbox/inbox.h"
#include "jobs/jobs.h"

static const char SQL_REPLY_OF[] =
	"SELECT conversation_id, idempotency_key, delivery_state FROM messages"
	" WHERE id = $1 AND direction = 'out'";
static const char SQL_REQUEUED[] =
	"UPDATE messages SET delivery_state = 'queued', delivery_error = NULL WHERE id = $1";

typedef struct retry_ctx {
	const actor *who;
	const inbox_scope *scope;
	int64_t message_id;
	int64_t conversation_id;
	err_detail *d;
} retry_ctx;

static ct_err retry_reply(store_conn *c, void *arg)
{
	retry_ctx *x = arg;
	store_stmt *st = store_prepare(c, SQL_REPLY_OF);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->message_id);
	int rc = store_step(st);
	if (rc != STORE_ROW) {
		store_reset(st);
		return rc == STORE_DONE ? err_set(x->d, CT_ERR_NOT_FOUND, "", "no such reply")
					: CT_ERR_STORE;
	}
	x->conversation_id = store_col_int(st, 0);
	char *key = store_col_is_null(st, 1) ? NULL : xstrdup(store_col_text(st, 1));
	int failed = !store_col_is_null(st, 2) && strcmp(store_col_text(st, 2), "failed") == 0;
	store_reset(st);
	ct_err err = inbox_check_access(c, x->scope, x->conversation_id);
	if (err)
		err = err_set(x->d, CT_ERR_NOT_FOUND, "", "no such reply");
	else if (!failed || !key)
		err = err_set(x->d, CT_ERR_CONFLICT, "", "only a failed reply can be sent again");
	if (!err)
		err = jobs_requeue_failed(c, key);
	if (err == CT_ERR_CONFLICT && !x->d->message[0])
		err = err_set(x->d, err, "", "the reply's delivery is not in the failed state");
	free(key);
	if (err)
		return err;
	st = store_prepare(c, SQL_REQUEUED);
	if (!st)
		return CT_ERR_STORE;
	store_bind_int(st, 1, x->message_id);
	err = store_run(st);
	if (!err)
		err = audit_record(c, x->who, "message.retry", "message", x->message_id, NULL,
				   NULL);
	return err;
}

ct_err inbox_retry_reply(store *s, const actor *who, const inbox_scope *scope, int64_t message_id,
			 int64_t *conversation_id, err_detail *d)
{
	retry_ctx x = {who, scope, message_id, 0, d};
	ct_err err = store_write(s, retry_reply, &x);
	*conversation_id = x.conversation_id;
	return err;
}
