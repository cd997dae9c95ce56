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
void api_conversations_list(http_request *req, http_response *res);
void api_conversation_get(http_request *req, http_response *res);
void api_conversation_patch(http_request *req, http_response *res);
void api_conversation_reply(http_request *req, http_response *res);
void api_conversation_note(http_request *req, http_response *res);
void api_search(http_request *req, http_response *res);
void api_events(http_request *req, http_response *res);
void api_channels_list(http_request *req, http_response *res);
void api_channels_create(http_request *req, http_response *res);
void api_channels_patch(http_request *req, http_response *res);

#endif
