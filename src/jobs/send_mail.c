/*
 * send_mail.c: the job that sends an e-mail (password resets, later
 * notifications). The payload is sealed with the installation's key: a mail
 * may carry a reset link, which must not sit readable in the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/mail.h"
#include "jobs/jobs.h"
#include "jobs/kinds.h"

ct_err jobs_enqueue_mail(store_conn *c, const seal_key *key, const char *idempotency_key,
			 const char *to, const char *subject, const char *text, int max_attempts)
{
	json_t *mail = json_pack("{s:s, s:s, s:s}", "to", to, "subject", subject, "text", text);
	char *plain = json_dumps(mail, JSON_COMPACT);
	char *sealed = seal_text(key, plain, strlen(plain));
	json_t *payload = json_pack("{s:s}", "sealed", sealed);
	char *payload_text = json_dumps(payload, JSON_COMPACT);
	ct_err err = jobs_enqueue(c, JOB_SEND_MAIL, payload_text, idempotency_key, max_attempts, 0);
	free(payload_text);
	json_decref(payload);
	free(sealed);
	free(plain);
	json_decref(mail);
	return err;
}

static ct_err run(app *a, const job *j, job_outcome *out)
{
	json_t *payload = json_loads(j->payload, 0, NULL);
	buf plain;
	buf_init(&plain, 1 << 20);
	json_t *mail = NULL;
	ct_err err =
		seal_open(&a->key, json_string_value(json_object_get(payload, "sealed")), &plain);
	if (!err)
		mail = json_loadb(plain.data, plain.len, 0, NULL);
	if (!mail) {
		snprintf(out->error, sizeof(out->error),
			 "the mail cannot be opened (was the key file replaced?)");
		out->permanent = 1;
		err = CT_ERR_INVALID;
		goto done;
	}
	mail_settings s = {a->cfg.smtp_url, a->cfg.smtp_from, a->cfg.smtp_username,
			   a->cfg.smtp_password, (int)a->cfg.jobs_timeout_s};
	mail_message m = {json_string_value(json_object_get(mail, "to")),
			  json_string_value(json_object_get(mail, "subject")),
			  json_string_value(json_object_get(mail, "text"))};
	err = mail_send(&s, &m, out);
done:
	json_decref(mail);
	json_decref(payload);
	buf_free(&plain);
	return err;
}

const job_kind job_send_mail = {.name = JOB_SEND_MAIL, .run = run};
