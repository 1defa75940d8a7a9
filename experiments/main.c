#include "experiments/experiment.h"

int main(int argc, char **argv) { return gv_cli_main(argc, argv); }
