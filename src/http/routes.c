/*
 * routes.c: the one route table. Every route names the roles that may call
 * it (0: public) and, where it takes more than the default, its body cap.
 * docs/api/openapi.yaml documents each of them; a test compares the two.
 */
#include "api/api.h"
#include "http/http.h"

#define AUTH_MAX_BODY (8u << 10)

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

	/* Contacts and privacy (GDPR/DSGVO). */
	{"GET", "/api/v1/contacts/{id}", api_contact_get, ROLES_ANY, 0, 0},
	{"GET", "/api/v1/contacts/{id}/export", api_contact_export, ROLE_ADMIN, 0, 0},
	{"POST", "/api/v1/contacts/{id}/erase", api_contact_erase, ROLE_ADMIN, 0, 0},
	{"GET", "/api/v1/retention", api_retention_get, ROLE_ADMIN, 0, 0},
	{"POST", "/api/v1/retention/run", api_retention_run, ROLE_ADMIN, 0, 0},
};

const size_t http_routes_count = sizeof(http_routes) / sizeof(http_routes[0]);
