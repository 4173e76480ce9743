#include "digest_name.h"

#include <stdio.h>
#include <string.h>

size_t digest_hex_length(const char *digest)
{
	if (strncmp(digest, "sha256:", 7) == 0)
		return 64;
	if (strncmp(digest, "sha512:", 7) == 0)
		return 128;
	return 0;
}

bool digest_is_valid(const char *digest)
{
	size_t hex_len = digest_hex_length(digest);
	if (!hex_len)
		return false;
	const char *hex = digest + 7;
	return strlen(hex) == hex_len && strspn(hex, "0123456789abcdef") == hex_len;
}

void digest_to_filename(const char *digest, char *out, size_t len)
{
	snprintf(out, len, "%s", digest);
	char *colon = strchr(out, ':');
	if (colon)
		*colon = '-';
}
