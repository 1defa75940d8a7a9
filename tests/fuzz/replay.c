/* Replays fuzz inputs through a harness without libFuzzer (any compiler):
 * every file named, and every file in every folder named.  The committed
 * corpus and the inputs of past findings (tests/fuzz/regress/) run this way
 * in the default test suite. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/harness.h"

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  uint8_t *buf = NULL;
  size_t n = 0, cap = 0, r;
  do {
    if (n == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 65536))) break;
    r = fread(buf + n, 1, cap - n, f);
    n += r;
  } while (r);
  fclose(f);
  if (buf) LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 1;
}

int main(int argc, char **argv) {
  int n = 0;
  for (int i = 1; i < argc; ++i) {
    struct stat sb;
    if (stat(argv[i], &sb) != 0) continue;
    if (!S_ISDIR(sb.st_mode)) {
      n += replay_file(argv[i]);
      continue;
    }
    DIR *d = opendir(argv[i]);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
      n += replay_file(p);
    }
    if (d) closedir(d);
  }
  printf("replayed %d inputs\n", n);
  return n ? 0 : 1;
}
