#include <hivex.h>
