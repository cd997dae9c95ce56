/*
 * routes.c: the one route table. Every route names the roles that may call
 * it (0: public) and, where it takes more than the default, its body cap.
 * docs/api/openapi.yaml documents each of them; a test compares the two.
 */
#include "api/api.h"
#include "http/http.h"
#include "web/pages.h"
#include "web/web.h"

#define AUTH_MAX_BODY (8u << 10)
#define CONCEPT_MAX_BODY (2u << 20) /* a 1 MiB concept, JSON-escaped */

const http_route http_routes[] = {
	{"GET", "/api/v1/health", api_health, 0, 0, 0},
	{"POST", "/api/v1/messages", api_messages_ingest, ROLES_WRITE, 0, ROUTE_INGEST_BODY},
	{"GET", "/api/v1/conversations", api_conversations_list, ROLES_ANY, 0, 0},
	{"GET", "/api/v1/conversations/{id}", api_conversation_get, ROLES_ANY, 0, 0},
	{"PATCH", "/api/v1/conversations/{id}", api_conversation_patch, ROLES_WRITE, 0, 0},
	{"POST", "/api/v1/conversations/{id}/messages", api_conversation_reply, ROLES_WRITE, 0, 0},
	{"POST", "/api/v1/conversations/{id}/notes", api_conversation_note, ROLES_WRITE, 0, 0},
	{"GET", "/api/v1/search", api_search, ROLES_ANY, 0, 0},
	{"GET", "/api/v1/events", api_events, ROLES_ANY, 0, 0},
	{"GET", "/api/v1/channels", api_channels_list, ROLES_MANAGE, 0, 0},
	{"POST", "/api/v1/channels", api_channels_create, ROLE_ADMIN, 0, 0},
	{"PATCH", "/api/v1/channels/{id}", api_channels_patch, ROLE_ADMIN, 0, 0},

	/* Signing in: public routes are limited per address. */
	{"POST", "/api/v1/auth/login", api_auth_login, 0, AUTH_MAX_BODY, ROUTE_RATE_LIMITED},
	{"POST", "/api/v1/auth/second-factor", api_auth_second_factor, ROLES_ANY, AUTH_MAX_BODY,
	 ROUTE_PARTIAL_AUTH},
	{"GET", "/api/v1/auth/me", api_auth_me, ROLES_ANY, 0, ROUTE_PARTIAL_AUTH},
	{"POST", "/api/v1/auth/logout", api_auth_logout, ROLES_ANY, AUTH_MAX_BODY,
	 ROUTE_PARTIAL_AUTH},
	{"POST", "/api/v1/auth/logout-all", api_auth_logout_all, ROLES_ANY, AUTH_MAX_BODY, 0},
	{"POST", "/api/v1/auth/password", api_auth_password, ROLES_ANY, AUTH_MAX_BODY, 0},
	{"POST", "/api/v1/auth/password-reset", api_auth_reset_request, 0, AUTH_MAX_BODY,
	 ROUTE_RATE_LIMITED},
	{"POST", "/api/v1/auth/password-reset/confirm", api_auth_reset_confirm, 0, AUTH_MAX_BODY,
	 ROUTE_RATE_LIMITED},
	{"POST", "/api/v1/auth/totp/setup", api_auth_totp_setup, ROLES_ANY, AUTH_MAX_BODY,
	 ROUTE_PARTIAL_AUTH},
	{"POST", "/api/v1/auth/totp/enable", api_auth_totp_enable, ROLES_ANY, AUTH_MAX_BODY,
	 ROUTE_PARTIAL_AUTH},
	{"POST", "/api/v1/auth/totp/disable", api_auth_totp_disable, ROLES_ANY, AUTH_MAX_BODY, 0},

	/* People and integrations. */
	{"GET", "/api/v1/users", api_users_list, ROLE_ADMIN, 0, 0},
	{"POST", "/api/v1/users", api_users_create, ROLE_ADMIN, 0, 0},
	{"GET", "/api/v1/users/{id}", api_user_get, ROLE_ADMIN, 0, 0},
	{"PATCH", "/api/v1/users/{id}", api_user_patch, ROLE_ADMIN, 0, 0},
	{"GET", "/api/v1/teams", api_teams_list, ROLES_ANY, 0, 0},
	{"POST", "/api/v1/teams", api_teams_create, ROLE_ADMIN, 0, 0},
	{"PATCH", "/api/v1/teams/{id}", api_team_patch, ROLE_ADMIN, 0, 0},
	{"GET", "/api/v1/tokens", api_tokens_list, ROLE_ADMIN, 0, 0},
	{"POST", "/api/v1/tokens", api_tokens_create, ROLE_ADMIN, 0, 0},
	{"DELETE", "/api/v1/tokens/{id}", api_token_revoke, ROLE_ADMIN, 0, 0},
	{"GET", "/api/v1/audit", api_audit_list, ROLE_ADMIN, 0, 0},
	{"GET", "/api/v1/concept", api_concept_get, ROLES_ANY, 0, 0},
	{"GET", "/api/v1/concept/versions", api_concept_versions, ROLES_ANY, 0, 0},
	{"POST", "/api/v1/concept/versions", api_concept_add, ROLES_MANAGE, CONCEPT_MAX_BODY, 0},
	{"GET", "/api/v1/concept/versions/{id}", api_concept_version, ROLES_ANY, 0, 0},
	{"POST", "/api/v1/concept/versions/{id}/activate", api_concept_activate, ROLES_MANAGE, 0,
	 0},
	{"GET", "/api/v1/concept/diff", api_concept_diff, ROLES_ANY, 0, 0},
	{"POST", "/api/v1/concept/check", api_concept_check, ROLES_MANAGE, CONCEPT_MAX_BODY, 0},
	{"POST", "/api/v1/concept/replay", api_concept_replay, ROLES_MANAGE, CONCEPT_MAX_BODY, 0},

	/* Contacts and privacy (GDPR/DSGVO). */
	{"GET", "/api/v1/contacts/{id}", api_contact_get, ROLES_ANY, 0, 0},
	{"GET", "/api/v1/contacts/{id}/export", api_contact_export, ROLE_ADMIN, 0, 0},
	{"POST", "/api/v1/contacts/{id}/erase", api_contact_erase, ROLE_ADMIN, 0, 0},
	{"GET", "/api/v1/retention", api_retention_get, ROLE_ADMIN, 0, 0},
	{"POST", "/api/v1/retention/run", api_retention_run, ROLE_ADMIN, 0, 0},

	/* The web pages (docs/web.md). */
	{"GET", "/", web_root, 0, 0, ROUTE_PAGE},
	{"GET", "/static/{name}", web_static, 0, 0, 0},
	{"GET", "/login", web_login_form, 0, 0, ROUTE_PAGE},
	{"POST", "/login", web_login_submit, 0, AUTH_MAX_BODY, ROUTE_PAGE | ROUTE_RATE_LIMITED},
	{"GET", "/login/second-factor", web_second_factor_form, ROLES_ANY, 0,
	 ROUTE_PAGE | ROUTE_PARTIAL_AUTH},
	{"POST", "/login/second-factor", web_second_factor_submit, ROLES_ANY, AUTH_MAX_BODY,
	 ROUTE_PAGE | ROUTE_PARTIAL_AUTH},
	{"POST", "/logout", web_logout, ROLES_ANY, AUTH_MAX_BODY, ROUTE_PAGE | ROUTE_PARTIAL_AUTH},
	{"GET", "/inbox", web_inbox, ROLES_ANY, 0, ROUTE_PAGE},
	{"GET", "/inbox/list", web_inbox_list, ROLES_ANY, 0, ROUTE_PAGE},
	{"GET", "/inbox/c/{id}", web_conversation, ROLES_ANY, 0, ROUTE_PAGE},
	{"GET", "/inbox/c/{id}/messages", web_conversation_messages, ROLES_ANY, 0, ROUTE_PAGE},
	{"GET", "/inbox/c/{id}/meta", web_conversation_meta, ROLES_ANY, 0, ROUTE_PAGE},
	{"POST", "/inbox/c/{id}/reply", web_conversation_reply, ROLES_WRITE, 0, ROUTE_PAGE},
	{"POST", "/inbox/c/{id}/note", web_conversation_note, ROLES_WRITE, 0, ROUTE_PAGE},
	{"POST", "/inbox/c/{id}/update", web_conversation_update, ROLES_WRITE, 0, ROUTE_PAGE},
	{"POST", "/inbox/c/{id}/presence", web_conversation_presence, ROLES_ANY, AUTH_MAX_BODY,
	 ROUTE_PAGE},
	{"GET", "/search", web_search, ROLES_ANY, 0, ROUTE_PAGE},
	{"GET", "/contacts", web_contacts, ROLES_ANY, 0, ROUTE_PAGE},
	{"GET", "/contacts/{id}", web_contact, ROLES_ANY, 0, ROUTE_PAGE},
	{"POST", "/contacts/{id}/erase", web_contact_erase, ROLE_ADMIN, AUTH_MAX_BODY, ROUTE_PAGE},
	/* Settings (admins) and the profile (everyone signed in). */
	{"GET", "/settings/users", web_settings_users, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"POST", "/settings/users", web_settings_user_create, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"GET", "/settings/users/{id}", web_settings_user, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"POST", "/settings/users/{id}", web_settings_user_update, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"GET", "/settings/teams", web_settings_teams, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"POST", "/settings/teams", web_settings_team_create, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"GET", "/settings/teams/{id}", web_settings_team, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"POST", "/settings/teams/{id}", web_settings_team_update, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"GET", "/settings/channels", web_settings_channels, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"POST", "/settings/channels", web_settings_channel_create, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"GET", "/settings/channels/{id}", web_settings_channel, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"POST", "/settings/channels/{id}", web_settings_channel_update, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"GET", "/settings/tokens", web_settings_tokens, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"POST", "/settings/tokens", web_settings_token_create, ROLE_ADMIN, 0, ROUTE_PAGE},
	{"POST", "/settings/tokens/{id}/revoke", web_settings_token_revoke, ROLE_ADMIN,
	 AUTH_MAX_BODY, ROUTE_PAGE},
	/* The concept's forms carry up to 1 MiB of YAML, form-encoded. */
	{"GET", "/settings/concept", web_settings_concept, ROLES_MANAGE, 0, ROUTE_PAGE},
	{"POST", "/settings/concept", web_settings_concept_save, ROLES_MANAGE, 4u << 20,
	 ROUTE_PAGE},
	{"POST", "/settings/concept/check", web_settings_concept_check, ROLES_MANAGE, 4u << 20,
	 ROUTE_PAGE},
	{"POST", "/settings/concept/{id}/activate", web_settings_concept_activate, ROLES_MANAGE,
	 AUTH_MAX_BODY, ROUTE_PAGE},
	{"GET", "/settings/concept/diff", web_settings_concept_diff, ROLES_MANAGE, 0, ROUTE_PAGE},
	{"GET", "/profile", web_profile, ROLES_ANY, 0, ROUTE_PAGE},
	{"POST", "/profile/language", web_profile_language, ROLES_ANY, AUTH_MAX_BODY, ROUTE_PAGE},
	{"POST", "/profile/away", web_profile_away, ROLES_WRITE, AUTH_MAX_BODY, ROUTE_PAGE},
	{"POST", "/profile/password", web_profile_password, ROLES_ANY, AUTH_MAX_BODY, ROUTE_PAGE},
	{"POST", "/profile/logout-all", web_profile_logout_all, ROLES_ANY, AUTH_MAX_BODY,
	 ROUTE_PAGE},
	{"GET", "/profile/second-factor", web_second_factor_setup_page, ROLES_ANY, 0,
	 ROUTE_PAGE | ROUTE_PARTIAL_AUTH},
	{"POST", "/profile/second-factor/setup", web_second_factor_start, ROLES_ANY, AUTH_MAX_BODY,
	 ROUTE_PAGE | ROUTE_PARTIAL_AUTH},
	{"POST", "/profile/second-factor/enable", web_second_factor_enable, ROLES_ANY,
	 AUTH_MAX_BODY, ROUTE_PAGE | ROUTE_PARTIAL_AUTH},
	{"POST", "/profile/second-factor/disable", web_second_factor_disable, ROLES_ANY,
	 AUTH_MAX_BODY, ROUTE_PAGE},
};

void (*const http_page_refusal)(http_request *req, http_response *res, int status,
				const char *why) = web_refusal;

const size_t http_routes_count = sizeof(http_routes) / sizeof(http_routes[0]);
