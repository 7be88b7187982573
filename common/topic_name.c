/*
 * Topic name validation (see topic_name.h).
 */
#include "common/topic_name.h"

#include <string.h>

bool topic_name_valid(const char *name)
{
    return name && topic_name_valid_n(name, strlen(name));
}

bool topic_name_valid_n(const char *name, size_t n)
{
    if (!name || n == 0 || n > 249 || (n == 1 && name[0] == '.') ||
        (n == 2 && name[0] == '.' && name[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}
