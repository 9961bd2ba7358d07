/* storage_init: probe the ATA drives and mount the FAT32 partition of the
 * first disk that has one, saying what the mount repaired after a power cut. */
#include "fs/storage.h"
#include "fs/fs.h"
#include "drivers/ata.h"
#include "drivers/console.h"

static struct blockdev *boot_disk;

struct blockdev *storage_boot_disk(void)
{
    return boot_disk;
}

void storage_init(void)
{
    int n = ata_init();
    if (n == 0) {
        kprintf("error: storage: no ATA disk found\n");
        return;
    }
    int err = 0;
    for (int i = 0; i < n && !boot_disk; i++) {
        struct blockdev *dev = &ata_get_drive(i)->bd;
        err = fs_mount(dev);
        if (err == 0)
            boot_disk = dev;
    }
    if (!boot_disk) {
        kprintf("error: storage: %s\n", fs_error_message(err));
        return;
    }
    struct fs_statfs st;
    fs_statfs(&st);
    struct ata_drive *d = (struct ata_drive *)boot_disk;
    kprintf("storage: FAT32 volume %s on %s (%s), %u MiB free\n", st.label[0] ? st.label : "(no label)",
            d->name, d->dma ? "DMA" : "PIO",
            (unsigned)((uint64_t)st.free_clusters * st.cluster_bytes >> 20));
    if (fs_mount_note()[0])
        kprintf("storage: %s\n", fs_mount_note());
}
