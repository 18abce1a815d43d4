#include <augeas.h>
