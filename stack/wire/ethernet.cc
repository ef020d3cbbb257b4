#include "stack/wire/ethernet.h"
