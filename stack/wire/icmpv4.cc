#include "stack/wire/icmpv4.h"
