#include "progress.h"

#include "../../../common/log.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw(struct progress *p)
{
	double mib = 1024.0 * 1024.0;
	if (p->total)
		fprintf(stderr, "\r\033[KImporting %s: layer %u/%u, %.1f/%.1f MiB", p->what, p->layer, p->n_layers,
			(double)p->done / mib, (double)p->total / mib);
	else
		fprintf(stderr, "\r\033[KImporting %s: layer %u/%u, %.1f MiB", p->what, p->layer, p->n_layers,
			(double)p->done / mib);
	fflush(stderr);
	p->last_ms = now_ms();
}

void progress_start(struct progress *p, const char *what, unsigned n_layers, unsigned long long total)
{
	*p = (struct progress){ .what = what, .n_layers = n_layers, .total = total };
	p->enabled = isatty(2) && log_enabled(LOG_LEVEL_WARN) && !log_enabled(LOG_LEVEL_DEBUG);
}

void progress_layer(struct progress *p, unsigned layer)
{
	p->layer = layer;
	if (p->enabled)
		draw(p);
}

void progress_add(void *data, unsigned long long bytes)
{
	struct progress *p = data;
	p->done += bytes;
	if (p->enabled && now_ms() - p->last_ms >= 100)
		draw(p);
}

void progress_finish(struct progress *p, bool ok)
{
	if (!p->enabled)
		return;
	if (ok) {
		draw(p);
		fputs(" done\n", stderr);
	} else {
		fputs("\r\033[K", stderr);
	}
	fflush(stderr);
}
