#ifndef OCHRE_PATH_H
#define OCHRE_PATH_H

#include <stdbool.h>

/* An absolute path with no empty, "." or ".." component and no trailing
 * slash ("/" itself is clean). The starter accepts only such paths, so that
 * what it logs and checks is exactly what it opens. */
bool path_is_clean_absolute(const char *path);

/* Is path equal to or below prefix, component by component ("/scratch"
 * covers "/scratch/a", not "/scratch2")? Both are clean absolute paths
 * ('limit container paths'). */
bool path_within(const char *path, const char *prefix);

#endif
