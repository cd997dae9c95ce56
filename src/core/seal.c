/*
 * seal.c: secret sealing with libsodium secretbox (see seal.h).
 */
#include "core/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ct_err create_key(const char *path, seal_key *key, buf *msg)
{
	randombytes_buf(key->bytes, SEAL_KEY_BYTES);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		buf_printf(msg, "cannot create the key file %s: %s", path, strerror(errno));
		return CT_ERR_IO;
	}
	ssize_t n = write(fd, key->bytes, SEAL_KEY_BYTES);
	int ok = n == SEAL_KEY_BYTES && fsync(fd) == 0;
	close(fd);
	if (!ok) {
		unlink(path);
		buf_printf(msg, "cannot write the key file %s", path);
		return CT_ERR_IO;
	}
	key->loaded = 1;
	return CT_OK;
}

ct_err seal_key_load(const char *path, int create, seal_key *key, buf *msg)
{
	memset(key, 0, sizeof(*key));
	int fd = open(path, O_RDONLY);
	if (fd < 0 && errno == ENOENT && create)
		return create_key(path, key, msg);
	if (fd < 0) {
		buf_printf(msg, "cannot read the key file %s: %s", path, strerror(errno));
		return CT_ERR_IO;
	}
	struct stat st;
	int ok = fstat(fd, &st) == 0 && st.st_size == SEAL_KEY_BYTES &&
		 read(fd, key->bytes, SEAL_KEY_BYTES) == SEAL_KEY_BYTES;
	close(fd);
	if (!ok) {
		buf_printf(msg, "the key file %s is not a 32-byte key", path);
		return CT_ERR_IO;
	}
	if (st.st_mode & 077)
		buf_printf(msg, "warning: %s is readable by others; chmod 600 it", path);
	key->loaded = 1;
	return CT_OK;
}

char *seal_text(const seal_key *key, const char *plain, size_t len)
{
	size_t raw_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
	unsigned char *raw = xmalloc(raw_len);
	randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, len,
			      raw, key->bytes);
	size_t b64_len = sodium_base64_ENCODED_LEN(raw_len, sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(3 + b64_len);
	memcpy(out, "v1:", 3);
	sodium_bin2base64(out + 3, b64_len, raw, raw_len, sodium_base64_VARIANT_ORIGINAL);
	free(raw);
	return out;
}

ct_err seal_open(const seal_key *key, const char *sealed, buf *out)
{
	buf_reset(out);
	if (!sealed || strncmp(sealed, "v1:", 3) != 0)
		return CT_ERR_INVALID;
	size_t b64_len = strlen(sealed + 3);
	unsigned char *raw = xmalloc(b64_len + 1);
	size_t raw_len = 0;
	ct_err err = CT_ERR_INVALID;
	if (sodium_base642bin(raw, b64_len + 1, sealed + 3, b64_len, NULL, &raw_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    raw_len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		goto done;
	size_t plain_len = raw_len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	unsigned char *plain = xmalloc(plain_len + 1);
	if (crypto_secretbox_open_easy(plain, raw + crypto_secretbox_NONCEBYTES,
				       raw_len - crypto_secretbox_NONCEBYTES, raw, key->bytes) == 0)
		err = buf_append(out, plain, plain_len);
	sodium_memzero(plain, plain_len + 1);
	free(plain);
done:
	free(raw);
	return err;
}

json_t *seal_open_object(const seal_key *key, const char *sealed)
{
	if (!sealed)
		return json_object();
	buf plain;
	buf_init(&plain, 1 << 20);
	json_t *v = NULL;
	if (seal_open(key, sealed, &plain) == CT_OK)
		v = json_loadb(plain.data, plain.len, 0, NULL);
	sodium_memzero(plain.data ? plain.data : "", plain.len);
	buf_free(&plain);
	if (json_is_object(v))
		return v;
	json_decref(v);
	return json_object();
}

void seal_key_wipe(seal_key *key)
{
	sodium_memzero(key->bytes, SEAL_KEY_BYTES);
	key->loaded = 0;
}
