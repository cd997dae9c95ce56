/*
 * seal.h: sealing secrets at rest with the installation's key.
 *
 * Channel API keys, passwords and TOTP secrets are stored sealed
 * (XSalsa20-Poly1305, libsodium's crypto_secretbox) with a 32-byte key that
 * lives in a file outside the database (DIR/secret.key, mode 0600, created
 * by init). A copy of the database alone reveals no secret. Sealed text is
 * "v1:" followed by base64 of nonce and ciphertext.
 */
#ifndef CT_SEAL_H
#define CT_SEAL_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define SEAL_KEY_BYTES 32

typedef struct seal_key {
	unsigned char bytes[SEAL_KEY_BYTES];
	int loaded;
} seal_key;

/* Read the key from path; with create=1 make a new one when the file is
 * missing. CT_ERR_IO with a message when it cannot. */
ct_err seal_key_load(const char *path, int create, seal_key *key, buf *msg);

/* Seal len bytes of plain; returns new text the caller frees. */
char *seal_text(const seal_key *key, const char *plain, size_t len);

/* Open sealed text into out (cleared first). CT_ERR_INVALID when it was not
 * sealed with this key or was changed. */
ct_err seal_open(const seal_key *key, const char *sealed, buf *out);

/* Open sealed JSON text holding an object (NULL sealed: none). Returns the
 * object, or an empty one when there is none or it cannot be opened. New
 * reference; drop it as soon as it is no longer needed. */
json_t *seal_open_object(const seal_key *key, const char *sealed);

/* Overwrite a key in memory. */
void seal_key_wipe(seal_key *key);

#endif
