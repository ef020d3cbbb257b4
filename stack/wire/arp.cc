#include "stack/wire/arp.h"
