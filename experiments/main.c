#include <gsl/gsl_errno.h>

#include "experiments/experiment.h"

int main(int argc, char **argv) {
  /* GSL's default handler aborts; governor checks every status itself and
   * records numerical trouble as data. */
  gsl_set_error_handler_off();
  return gv_cli_main(argc, argv);
}
