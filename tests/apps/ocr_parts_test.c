#include "ocr_internal.h"
int main(void) { return 0; }
