#include "stack/wire/ndp.h"
