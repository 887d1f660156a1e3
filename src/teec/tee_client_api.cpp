// The GlobalPlatform TEE Client API over rproctee's transports. Shared memory is always a
// sealed memfd mapped by both sides: TEEC_AllocateSharedMemory is zero-copy; registered user
// buffers and temporary memrefs go through a memfd shadow copied around each call (as
// optee_client does for buffers it cannot share).
#include "teec/tee_client_api.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "teec/machine_connection.hpp"

namespace rproctee::teec {

namespace {

using protocol::MessageKind;
using protocol::Reply;
using protocol::Request;
using protocol::Transport;
using protocol::WireParam;

/// One TEEC_Context: a transport, used by one call at a time.
struct ContextImpl {
  std::mutex mutex;
  std::unique_ptr<Transport> transport;
  uint32_t seq = 0;

  Result<Reply> call(Request r, std::span<const int> fds, std::vector<int>& received) {
    std::lock_guard lock(mutex);
    r.seq = ++seq;
    return transport->call(r, fds, received);
  }
};

/// The memfd behind a TEEC_SharedMemory (or a temporary memref), registered with the TEE.
struct ShmImpl {
  std::shared_ptr<ContextImpl> context;
  int fd = -1;
  uint8_t* map = nullptr;
  size_t map_size = 0;
  uint32_t id = 0;
  bool shadow = false;  // the user's buffer is elsewhere: copy around calls

  ~ShmImpl() {
    if (id != 0) {
      Request r;
      r.kind = MessageKind::kReleaseShm;
      r.shm = id;
      std::vector<int> ignored;
      (void)context->call(r, {}, ignored);
    }
    if (map) ::munmap(map, map_size);
    if (fd >= 0) ::close(fd);
  }
};

std::shared_ptr<ContextImpl>& context_of(TEEC_Context* ctx) {
  return *static_cast<std::shared_ptr<ContextImpl>*>(ctx->imp);
}

void set_origin(uint32_t* origin, uint32_t value) {
  if (origin) *origin = value;
}

/// Creates and registers a memfd of `size` bytes (at least one page).
TEEC_Result make_shm(const std::shared_ptr<ContextImpl>& ctx, size_t size, uint32_t flags,
                     std::unique_ptr<ShmImpl>& out) {
  auto shm = std::make_unique<ShmImpl>();
  shm->context = ctx;
  shm->map_size = (std::max<size_t>(size, 1) + 4095) & ~size_t{4095};
  shm->fd = ::memfd_create("teec-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (shm->fd < 0 || ::ftruncate(shm->fd, static_cast<off_t>(shm->map_size)) != 0)
    return TEEC_ERROR_OUT_OF_MEMORY;
  ::fcntl(shm->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
  void* p = ::mmap(nullptr, shm->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd, 0);
  if (p == MAP_FAILED) return TEEC_ERROR_OUT_OF_MEMORY;
  shm->map = static_cast<uint8_t*>(p);
  Request r;
  r.kind = MessageKind::kRegisterShm;
  r.shm_size = shm->map_size;
  r.shm_flags = flags;
  std::vector<int> received;
  const int fds[] = {shm->fd};
  auto reply = ctx->call(r, fds, received);
  if (!reply) return TEEC_ERROR_COMMUNICATION;
  if (reply->code != TEEC_SUCCESS) return reply->code;
  shm->id = reply->shm;
  out = std::move(shm);
  return TEEC_SUCCESS;
}

ShmImpl* shm_of(const TEEC_SharedMemory* s) {
  return static_cast<ShmImpl*>(s->shadow_buffer);
}

/// One operation's parameters on the wire, and the temporary memrefs it created.
struct Marshalled {
  std::array<WireParam, 4> wire{};
  std::array<std::unique_ptr<ShmImpl>, 4> temps;
};

TEEC_Result marshal(const std::shared_ptr<ContextImpl>& ctx, TEEC_Operation* op, Marshalled& m,
                    uint32_t* origin) {
  if (!op) return TEEC_SUCCESS;
  op->started = 1;
  for (int i = 0; i < 4; ++i) {
    const uint32_t t = TEEC_PARAM_TYPE_GET(op->paramTypes, i);
    TEEC_Parameter& p = op->params[i];
    WireParam& w = m.wire[static_cast<size_t>(i)];
    auto bad = [&] {
      set_origin(origin, TEEC_ORIGIN_API);
      return TEEC_ERROR_BAD_PARAMETERS;
    };
    switch (t) {
      case TEEC_NONE:
        break;
      case TEEC_VALUE_INPUT:
      case TEEC_VALUE_OUTPUT:
      case TEEC_VALUE_INOUT:
        w = WireParam{t, p.value.a, p.value.b};
        break;
      case TEEC_MEMREF_TEMP_INPUT:
      case TEEC_MEMREF_TEMP_OUTPUT:
      case TEEC_MEMREF_TEMP_INOUT: {
        w.type = t;
        if (!p.tmpref.buffer) {
          if (p.tmpref.size != 0) return bad();
          break;  // a null memref of size 0
        }
        if (p.tmpref.size > TEEC_CONFIG_SHAREDMEM_MAX_SIZE) return bad();
        const uint32_t flags = (t == TEEC_MEMREF_TEMP_OUTPUT ? 0 : TEEC_MEM_INPUT) |
                               (t == TEEC_MEMREF_TEMP_INPUT ? 0 : TEEC_MEM_OUTPUT);
        auto& temp = m.temps[static_cast<size_t>(i)];
        if (const TEEC_Result r = make_shm(ctx, p.tmpref.size, flags, temp); r != TEEC_SUCCESS) {
          set_origin(origin, TEEC_ORIGIN_COMMS);
          return r;
        }
        if (t != TEEC_MEMREF_TEMP_OUTPUT) std::memcpy(temp->map, p.tmpref.buffer, p.tmpref.size);
        w.shm = temp->id;
        w.size = p.tmpref.size;
        break;
      }
      case TEEC_MEMREF_WHOLE:
      case TEEC_MEMREF_PARTIAL_INPUT:
      case TEEC_MEMREF_PARTIAL_OUTPUT:
      case TEEC_MEMREF_PARTIAL_INOUT: {
        TEEC_SharedMemory* parent = p.memref.parent;
        if (!parent || !shm_of(parent)) return bad();
        uint32_t dir = 0;
        size_t offset = 0, size = parent->size;
        if (t == TEEC_MEMREF_WHOLE) {
          dir = parent->flags & (TEEC_MEM_INPUT | TEEC_MEM_OUTPUT);
        } else {
          dir = t == TEEC_MEMREF_PARTIAL_INPUT    ? TEEC_MEM_INPUT
                : t == TEEC_MEMREF_PARTIAL_OUTPUT ? TEEC_MEM_OUTPUT
                                                  : TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
          if ((parent->flags & dir) != dir) return bad();
          offset = p.memref.offset;
          size = p.memref.size;
          if (offset > parent->size || size > parent->size - offset) return bad();
        }
        if (dir == 0) return bad();
        w.type = dir == TEEC_MEM_INPUT ? 5u : dir == TEEC_MEM_OUTPUT ? 6u : 7u;
        ShmImpl* shm = shm_of(parent);
        if (shm->shadow && (dir & TEEC_MEM_INPUT) && size)
          std::memcpy(shm->map + offset, static_cast<uint8_t*>(parent->buffer) + offset, size);
        w.shm = shm->id;
        w.offset = offset;
        w.size = size;
        break;
      }
      default:
        return bad();
    }
  }
  return TEEC_SUCCESS;
}

void unmarshal(TEEC_Operation* op, const Reply& reply, Marshalled& m) {
  if (!op) return;
  for (int i = 0; i < 4; ++i) {
    const uint32_t t = TEEC_PARAM_TYPE_GET(op->paramTypes, i);
    TEEC_Parameter& p = op->params[i];
    const WireParam& w = reply.params[static_cast<size_t>(i)];
    switch (t) {
      case TEEC_VALUE_OUTPUT:
      case TEEC_VALUE_INOUT:
        p.value.a = w.a;
        p.value.b = w.b;
        break;
      case TEEC_MEMREF_TEMP_OUTPUT:
      case TEEC_MEMREF_TEMP_INOUT: {
        const auto& temp = m.temps[static_cast<size_t>(i)];
        if (temp && reply.code == TEEC_SUCCESS)
          std::memcpy(p.tmpref.buffer, temp->map, std::min<size_t>(p.tmpref.size, w.size));
        p.tmpref.size = w.size;
        break;
      }
      case TEEC_MEMREF_WHOLE:
      case TEEC_MEMREF_PARTIAL_OUTPUT:
      case TEEC_MEMREF_PARTIAL_INOUT: {
        TEEC_SharedMemory* parent = p.memref.parent;
        ShmImpl* shm = shm_of(parent);
        const bool out = t != TEEC_MEMREF_WHOLE || (parent->flags & TEEC_MEM_OUTPUT);
        if (!out) break;
        const size_t offset = t == TEEC_MEMREF_WHOLE ? 0 : p.memref.offset;
        const size_t room = (t == TEEC_MEMREF_WHOLE ? parent->size : p.memref.size);
        if (shm->shadow && reply.code == TEEC_SUCCESS)
          std::memcpy(static_cast<uint8_t*>(parent->buffer) + offset, shm->map + offset,
                      std::min<size_t>(room, w.size));
        p.memref.size = w.size;
        break;
      }
      default:
        break;
    }
  }
}

TEEC_Result invoke(const std::shared_ptr<ContextImpl>& ctx, Request r, TEEC_Operation* op,
                   uint32_t* origin, uint32_t* session_out) {
  Marshalled m;
  if (const TEEC_Result res = marshal(ctx, op, m, origin); res != TEEC_SUCCESS) return res;
  r.params = m.wire;
  std::vector<int> received;
  auto reply = ctx->call(r, {}, received);
  for (int fd : received) ::close(fd);
  if (!reply) {
    set_origin(origin, TEEC_ORIGIN_COMMS);
    return TEEC_ERROR_COMMUNICATION;
  }
  unmarshal(op, *reply, m);
  if (session_out) *session_out = reply->session;
  set_origin(origin, reply->origin);
  return reply->code;
}

}  // namespace

}  // namespace rproctee::teec

using namespace rproctee::teec;  // NOLINT: the C API below is the public face of this namespace

extern "C" {

TEEC_Result TEEC_InitializeContext(const char* name, TEEC_Context* context) {
  if (!context) return TEEC_ERROR_BAD_PARAMETERS;
  std::string n = name ? name : "";
  if (n.empty()) {
    if (const char* env = std::getenv("RPROCTEE_TEE")) n = env;
  }
  auto transport = connect_machine(n);
  if (!transport) return TEEC_ERROR_ITEM_NOT_FOUND;
  auto impl = std::make_shared<ContextImpl>();
  impl->transport = std::move(*transport);
  context->imp = new std::shared_ptr<ContextImpl>(std::move(impl));
  return TEEC_SUCCESS;
}

void TEEC_FinalizeContext(TEEC_Context* context) {
  if (!context || !context->imp) return;
  delete static_cast<std::shared_ptr<ContextImpl>*>(context->imp);
  context->imp = nullptr;
}

TEEC_Result TEEC_OpenSession(TEEC_Context* context, TEEC_Session* session,
                             const TEEC_UUID* destination, uint32_t connectionMethod,
                             const void* connectionData, TEEC_Operation* operation,
                             uint32_t* returnOrigin) {
  set_origin(returnOrigin, TEEC_ORIGIN_API);
  if (!context || !context->imp || !session || !destination) return TEEC_ERROR_BAD_PARAMETERS;
  switch (connectionMethod) {
    case TEEC_LOGIN_PUBLIC:
    case TEEC_LOGIN_USER:
    case TEEC_LOGIN_APPLICATION:
    case TEEC_LOGIN_USER_APPLICATION:
    case TEEC_LOGIN_REE_KERNEL:
      break;
    case TEEC_LOGIN_GROUP:
    case TEEC_LOGIN_GROUP_APPLICATION:
      if (!connectionData) return TEEC_ERROR_BAD_PARAMETERS;
      break;
    default:
      return TEEC_ERROR_BAD_PARAMETERS;
  }
  Request r;
  r.kind = MessageKind::kOpenSession;
  r.login = connectionMethod;
  if (connectionData &&
      (connectionMethod == TEEC_LOGIN_GROUP || connectionMethod == TEEC_LOGIN_GROUP_APPLICATION))
    std::memcpy(&r.command, connectionData, sizeof r.command);  // the group id (a gid_t)
  r.uuid.time_low = destination->timeLow;
  r.uuid.time_mid = destination->timeMid;
  r.uuid.time_hi_and_version = destination->timeHiAndVersion;
  std::memcpy(r.uuid.clock_seq_and_node.data(), destination->clockSeqAndNode, 8);
  uint32_t id = 0;
  const TEEC_Result res = invoke(context_of(context), r, operation, returnOrigin, &id);
  if (res == TEEC_SUCCESS) {
    session->ctx = context;
    session->session_id = id;
  }
  return res;
}

void TEEC_CloseSession(TEEC_Session* session) {
  if (!session || !session->ctx || !session->ctx->imp) return;
  Request r;
  r.kind = MessageKind::kCloseSession;
  r.session = session->session_id;
  std::vector<int> received;
  (void)context_of(session->ctx)->call(r, {}, received);
  session->ctx = nullptr;
}

TEEC_Result TEEC_InvokeCommand(TEEC_Session* session, uint32_t commandID, TEEC_Operation* operation,
                               uint32_t* returnOrigin) {
  set_origin(returnOrigin, TEEC_ORIGIN_API);
  if (!session || !session->ctx || !session->ctx->imp) return TEEC_ERROR_BAD_PARAMETERS;
  Request r;
  r.kind = MessageKind::kInvoke;
  r.session = session->session_id;
  r.command = commandID;
  return invoke(context_of(session->ctx), r, operation, returnOrigin, nullptr);
}

static TEEC_Result setup_shared_memory(TEEC_Context* context, TEEC_SharedMemory* shm,
                                       bool allocate) {
  if (!context || !context->imp || !shm) return TEEC_ERROR_BAD_PARAMETERS;
  if (shm->flags == 0 || (shm->flags & ~uint32_t{TEEC_MEM_INPUT | TEEC_MEM_OUTPUT}))
    return TEEC_ERROR_BAD_PARAMETERS;
  if (!allocate && !shm->buffer && shm->size != 0) return TEEC_ERROR_BAD_PARAMETERS;
  if (shm->size > TEEC_CONFIG_SHAREDMEM_MAX_SIZE) return TEEC_ERROR_OUT_OF_MEMORY;
  std::unique_ptr<ShmImpl> impl;
  if (const TEEC_Result r = make_shm(context_of(context), shm->size, shm->flags, impl);
      r != TEEC_SUCCESS)
    return r;
  impl->shadow = !allocate;
  if (allocate) shm->buffer = impl->map;
  shm->id = static_cast<int>(impl->id);
  shm->alloced_size = impl->map_size;
  shm->registered_fd = -1;
  shm->internal.flags = allocate ? 1 : 2;
  shm->shadow_buffer = impl.release();
  return TEEC_SUCCESS;
}

TEEC_Result TEEC_RegisterSharedMemory(TEEC_Context* context, TEEC_SharedMemory* sharedMem) {
  return setup_shared_memory(context, sharedMem, false);
}

TEEC_Result TEEC_AllocateSharedMemory(TEEC_Context* context, TEEC_SharedMemory* sharedMem) {
  return setup_shared_memory(context, sharedMem, true);
}

void TEEC_ReleaseSharedMemory(TEEC_SharedMemory* sharedMemory) {
  if (!sharedMemory || !sharedMemory->shadow_buffer) return;
  delete shm_of(sharedMemory);
  if (sharedMemory->internal.flags == 1) sharedMemory->buffer = nullptr;
  sharedMemory->shadow_buffer = nullptr;
  sharedMemory->id = -1;
  sharedMemory->alloced_size = 0;
}

void TEEC_RequestCancellation(TEEC_Operation* operation) {
  // The TAs here finish every command in bounded time; cancellation is accepted and ignored,
  // which GlobalPlatform allows.
  (void)operation;
}

}  // extern "C"
