/* profile.c: the engine's time counters (see profile.h). */
#include "profile.h"

#include "platform.h"

struct llm_profile llm_prof;

void llm_profile_reset(void)
{
    memset(&llm_prof, 0, sizeof llm_prof);
}
