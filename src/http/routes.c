/*
 * routes.c: the one route table. Every route names the roles that may call
 * it (0: public) and, where it takes more than the default, its body cap.
 * docs/api/openapi.yaml documents each of them; a test compares the two.
 */
#include "api/api.h"
#include "http/http.h"

#define INGEST_MAX_BODY (16u << 20)

const http_route http_routes[] = {
	{"GET", "/api/v1/health", api_health, 0, 0, 0},
	{"POST", "/api/v1/messages", api_messages_ingest, ROLES_WRITE, INGEST_MAX_BODY, 0},
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
};

const size_t http_routes_count = sizeof(http_routes) / sizeof(http_routes[0]);
