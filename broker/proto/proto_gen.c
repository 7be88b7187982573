/*
 * The RECORDS writer of the generated codecs (see proto_gen.h); every other
 * type is written by proto_out directly.
 */
#include "broker/proto/proto_gen.h"

void proto_gen_write_records(struct proto_out *o, const struct proto_records *rs, bool flex,
                             bool nullable)
{
    switch (rs->kind) {
    case PROTO_RECORDS_MEM:
        if (rs->mem.len < 0 || (rs->mem.len > 0 && !rs->mem.ptr)) {
            proto_out_fail(o, GR_E_INVALID);
            return;
        }
        /* Written as bytes, never as null: a NULL ptr here means empty. */
        if (flex)
            proto_out_uvarint(o, (uint32_t)rs->mem.len + 1);
        else
            proto_out_i32(o, rs->mem.len);
        if (rs->mem.len > 0)
            buf_append(&o->buf, rs->mem.ptr, (size_t)rs->mem.len);
        return;
    case PROTO_RECORDS_FILE:
        if (flex)
            proto_out_uvarint(o, rs->file.len < 0 ? 0 : (uint32_t)rs->file.len + 1);
        else
            proto_out_i32(o, rs->file.len);
        /* Refuses a negative length, and releases the owner on any failure. */
        proto_out_add_file(o, &rs->file);
        return;
    case PROTO_RECORDS_NULL:
        if (!nullable)
            proto_out_fail(o, GR_E_INVALID);
        else if (flex)
            proto_out_uvarint(o, 0);
        else
            proto_out_i32(o, -1);
        return;
    }
    proto_out_fail(o, GR_E_INVALID);
}

void proto_gen_drop_records(const struct proto_records *rs)
{
    if (rs->kind == PROTO_RECORDS_FILE && rs->file.release)
        rs->file.release(rs->file.owner);
}
