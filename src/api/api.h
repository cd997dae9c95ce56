/*
 * api.h: the JSON API's handlers, one file per resource in api/.
 * The route table (http/routes.c) binds them to methods and paths; each is
 * a thin view over the domain modules and holds no rules of its own.
 */
#ifndef CT_API_H
#define CT_API_H

#include "http/http.h"

void api_health(http_request *req, http_response *res);
void api_messages_ingest(http_request *req, http_response *res);
void api_messages_share(http_request *req, http_response *res);
void api_messages_hide(http_request *req, http_response *res);
void api_messages_retry(http_request *req, http_response *res);
void api_hooks_receive(http_request *req, http_response *res);
/* The website widget's public routes (widget.c) */
void api_widget_script(http_request *req, http_response *res);
void api_widget_session(http_request *req, http_response *res);
void api_widget_post(http_request *req, http_response *res);
void api_widget_messages(http_request *req, http_response *res);
void api_conversations_list(http_request *req, http_response *res);
void api_conversation_get(http_request *req, http_response *res);
void api_conversation_patch(http_request *req, http_response *res);
void api_conversation_reply(http_request *req, http_response *res);
void api_conversation_note(http_request *req, http_response *res);
void api_search(http_request *req, http_response *res);
void api_events(http_request *req, http_response *res);
void api_channels_list(http_request *req, http_response *res);
void api_channels_create(http_request *req, http_response *res);
void api_channels_get(http_request *req, http_response *res);
void api_channels_patch(http_request *req, http_response *res);

/* The dialog concept (concept.c) */
void api_concept_get(http_request *req, http_response *res);
void api_concept_versions(http_request *req, http_response *res);
void api_concept_version(http_request *req, http_response *res);
void api_concept_diff(http_request *req, http_response *res);
void api_concept_check(http_request *req, http_response *res);
void api_concept_add(http_request *req, http_response *res);
void api_concept_activate(http_request *req, http_response *res);
void api_concept_replay(http_request *req, http_response *res);

/* Approved wording (templates.c, held.c, reports.c; suggestions in
 * conversations.c) */
void api_templates_list(http_request *req, http_response *res);
void api_templates_create(http_request *req, http_response *res);
void api_template_get(http_request *req, http_response *res);
void api_template_patch(http_request *req, http_response *res);
void api_template_version(http_request *req, http_response *res);
void api_template_diff(http_request *req, http_response *res);
void api_template_submit(http_request *req, http_response *res);
void api_template_approve(http_request *req, http_response *res);
void api_template_return(http_request *req, http_response *res);
void api_template_confirm(http_request *req, http_response *res);
void api_template_retire(http_request *req, http_response *res);
void api_template_preview(http_request *req, http_response *res);
void api_templates_export(http_request *req, http_response *res);
void api_templates_import(http_request *req, http_response *res);
void api_conversation_suggestions(http_request *req, http_response *res);
void api_held_list(http_request *req, http_response *res);
void api_held_get(http_request *req, http_response *res);
void api_held_approve(http_request *req, http_response *res);
void api_held_reject(http_request *req, http_response *res);
void api_report_templates(http_request *req, http_response *res);

/* Signing in (auth.c, auth_password.c) */
void api_auth_login(http_request *req, http_response *res);
void api_auth_second_factor(http_request *req, http_response *res);
void api_auth_me(http_request *req, http_response *res);
void api_auth_logout(http_request *req, http_response *res);
void api_auth_logout_all(http_request *req, http_response *res);
void api_auth_password(http_request *req, http_response *res);
void api_auth_reset_request(http_request *req, http_response *res);
void api_auth_reset_confirm(http_request *req, http_response *res);
void api_auth_totp_setup(http_request *req, http_response *res);
void api_auth_totp_enable(http_request *req, http_response *res);
void api_auth_totp_disable(http_request *req, http_response *res);

/* People (accounts.c) */
void api_users_list(http_request *req, http_response *res);
void api_users_create(http_request *req, http_response *res);
void api_user_get(http_request *req, http_response *res);
void api_user_patch(http_request *req, http_response *res);
void api_teams_list(http_request *req, http_response *res);
void api_teams_create(http_request *req, http_response *res);
void api_team_patch(http_request *req, http_response *res);
void api_tokens_list(http_request *req, http_response *res);
void api_tokens_create(http_request *req, http_response *res);
void api_token_revoke(http_request *req, http_response *res);
void api_audit_list(http_request *req, http_response *res);

/* Privacy (privacy.c) */
void api_contact_get(http_request *req, http_response *res);
void api_contact_export(http_request *req, http_response *res);
void api_contact_erase(http_request *req, http_response *res);
void api_retention_get(http_request *req, http_response *res);
void api_retention_run(http_request *req, http_response *res);

#endif
