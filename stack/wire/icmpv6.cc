#include "stack/wire/icmpv6.h"
