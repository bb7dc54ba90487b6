/* The header objects compiled; linking them proves no header defines storage. */
#include <stdio.h>

int main(void)
{
    puts("every public header compiles alone");
    return 0;
}
