#ifndef OCHRE_PATH_H
#define OCHRE_PATH_H

#include <stdbool.h>

/* An absolute path with no empty, "." or ".." component and no trailing
 * slash ("/" itself is clean). The starter accepts only such paths, so that
 * what it logs and checks is exactly what it opens. */
bool path_is_clean_absolute(const char *path);

#endif
