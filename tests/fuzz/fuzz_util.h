/* Helpers shared by the fuzz targets. */
#ifndef OCHRE_FUZZ_UTIL_H
#define OCHRE_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Length feedback. Coverage alone does not tell a 100-byte line from a
 * 4100-byte one, so libFuzzer would trim long inputs away, yet both parsers
 * have limits near 4096 bytes (a request line; PATH_MAX-sized buffers).
 * Each bucket of the longest line's length sets its own libFuzzer "extra
 * counter" (a coverage feature the fuzzer reads from this section), so an
 * input that reaches a new bucket is kept and grown further. Call it before
 * the parser modifies the input. */
__attribute__((section("__libfuzzer_extra_counters"), used)) static uint8_t fuzz_length_counters[32];

static inline void fuzz_note_longest_line(const char *data, size_t size)
{
	static const size_t bounds[] = {
		64,   256,  1024, 2048, 3072, 3584, 3840, 3968, 4032, 4064, 4080, 4088,
		4092, 4094, 4095, 4096, 4097, 4100, 4112, 4160, 4352, 5120, 8192,
	};
	size_t longest = 0;
	for (const char *p = data, *end = data + size; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > longest)
			longest = len;
		p = nl ? nl + 1 : end;
	}
	size_t b = 0;
	while (b < sizeof bounds / sizeof bounds[0] && longest >= bounds[b])
		b++;
	((volatile uint8_t *)fuzz_length_counters)[b] = 1;
}

#endif
