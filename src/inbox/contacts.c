/*
 * contacts.c: the contact card as a caller may see it (see inbox.h): one
 * person across channels, with only the conversations in the caller's view.
 */
#include "inbox/inbox.h"
#include "privacy/privacy.h"

ct_err inbox_contact(store_conn *c, const inbox_scope *scope, int64_t id, json_t **out)
{
	json_t *card = NULL;
	ct_err err = privacy_contact(c, id, &card);
	if (err)
		return err;
	if (scope->agent_user_id || scope->channel_id) {
		json_t *visible = json_array();
		size_t i;
		json_t *conv;
		json_array_foreach(json_object_get(card, "conversations"), i, conv)
		{
			int64_t conv_id = json_integer_value(json_object_get(conv, "id"));
			if (inbox_check_access(c, scope, conv_id) == CT_OK)
				json_array_append(visible, conv);
		}
		json_object_set_new(card, "conversations", visible);
		if (json_array_size(visible) == 0) {
			json_decref(card);
			return CT_ERR_NOT_FOUND;
		}
	}
	*out = card;
	return CT_OK;
}
