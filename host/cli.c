/* cli.c - placeholder until the CLI lands */
#include "winsum.h"
int main(void) { return 0; }
