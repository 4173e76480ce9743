/* Import progress on a terminal: one line rewritten in place on stderr.
 * Silent when stderr is not a terminal or with --quiet. */
#ifndef OCHRE_PROGRESS_H
#define OCHRE_PROGRESS_H

#include <stdbool.h>

struct progress {
	bool enabled;
	const char *what;
	unsigned layer, n_layers;
	unsigned long long done, total; /* bytes of blobs */
	long long last_ms;
};

void progress_start(struct progress *p, const char *what, unsigned n_layers, unsigned long long total);
void progress_layer(struct progress *p, unsigned layer);
void progress_add(void *p, unsigned long long bytes);
void progress_finish(struct progress *p, bool ok);

#endif
