// The GlobalPlatform TEE Client API over rproctee's transports. Shared memory is always a
// sealed memfd mapped by both sides: TEEC_AllocateSharedMemory is zero-copy; registered user
// buffers and temporary memrefs go through a memfd shadow copied around each call (as
// optee_client does for buffers it cannot share).
//
// The structures carry what optee_client's carry: a context is its descriptor (imp.fd), a
// shared memory its memfd (imp.registered_fd); the C++ state behind them is found in
// registries keyed by those descriptors, so a struct that was never set up (or was released)
// finds nothing and is ignored.
//
// The functions of the API are the library's interface: visible even when built with
// -fvisibility=hidden (libteec.so). First, so that no other header declares them before.
#pragma GCC visibility push(default)
#include "teec/tee_client_api.h"
#pragma GCC visibility pop

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/machine_address.hpp"
#include "teec/machine_connection.hpp"
#include "teec/tee_client_kernel.h"

namespace rproctee::teec {

namespace {

using protocol::MessageKind;
using protocol::Reply;
using protocol::Request;
using protocol::Transport;
using protocol::WireParam;

/// Moves `fd` above the standard streams, so that a zeroed struct (descriptor 0) never names
/// a live context or shared memory. -1 on failure (and `fd` is closed).
int above_stdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

/// One TEEC_Context: a transport, used by one call at a time, and the descriptor that names it
/// (an eventfd: a number unique in the process while the context lives).
struct ContextImpl {
  std::mutex mutex;
  std::unique_ptr<Transport> transport;
  uint32_t seq = 0;
  int handle = -1;

  ~ContextImpl() {
    if (handle >= 0) ::close(handle);
  }

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

/// Live objects by descriptor.
template <typename T>
class Registry {
 public:
  void add(int fd, std::shared_ptr<T> object) {
    std::lock_guard lock(mutex_);
    objects_[fd] = std::move(object);
  }
  std::shared_ptr<T> find(int fd) {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(fd);
    return it == objects_.end() ? nullptr : it->second;
  }
  /// Removes and returns the object at `fd` when `belongs(object)`.
  template <typename Pred>
  std::shared_ptr<T> take_if(int fd, Pred belongs) {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(fd);
    if (it == objects_.end() || !belongs(*it->second)) return nullptr;
    auto object = std::move(it->second);
    objects_.erase(it);
    return object;
  }

 private:
  std::mutex mutex_;
  std::map<int, std::shared_ptr<T>> objects_;
};

// Never destroyed: a context left open at exit must not be torn down after the in-process
// machine it talks to.
Registry<ContextImpl>& contexts() {
  static auto& r = *new Registry<ContextImpl>;
  return r;
}

Registry<ShmImpl>& shared_memories() {
  static auto& r = *new Registry<ShmImpl>;
  return r;
}

std::shared_ptr<ContextImpl> context_of(const TEEC_Context* ctx) {
  return ctx ? contexts().find(ctx->imp.fd) : nullptr;
}

std::shared_ptr<ShmImpl> shm_of(const TEEC_SharedMemory* s) {
  if (!s) return nullptr;
  auto shm = shared_memories().find(s->imp.registered_fd);
  return shm && static_cast<int>(shm->id) == s->imp.id ? shm : nullptr;
}

/// optee_client's imp.flags values.
constexpr uint32_t kBufferAllocated = 1;
constexpr uint32_t kShadowBufferAllocated = 2;

void set_origin(uint32_t* origin, uint32_t value) {
  if (origin) *origin = value;
}

/// Creates and registers a memfd of `size` bytes (at least one page).
TEEC_Result make_shm(const std::shared_ptr<ContextImpl>& ctx, size_t size, uint32_t flags,
                     std::shared_ptr<ShmImpl>& out) {
  constexpr size_t kPage = 4096;
  if (size > SIZE_MAX - kPage) return TEEC_ERROR_OUT_OF_MEMORY;
  auto shm = std::make_shared<ShmImpl>();
  shm->context = ctx;
  shm->map_size = (std::max<size_t>(size, 1) + kPage - 1) & ~(kPage - 1);
  shm->fd = above_stdio(::memfd_create("teec-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING));
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

/// One operation's parameters on the wire, and the temporary memrefs it created.
struct Marshalled {
  std::array<WireParam, 4> wire{};
  std::array<std::shared_ptr<ShmImpl>, 4> temps;
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
        const std::shared_ptr<ShmImpl> shm = shm_of(parent);
        if (!shm) return bad();
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
        const std::shared_ptr<ShmImpl> shm = shm_of(parent);
        if (!shm) break;  // released during the call: nothing to copy back to
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
  const std::string address =
      name && *name ? std::string(name) : rproctee::default_machine_address();
  auto transport = connect_machine(address);
  if (!transport) return TEEC_ERROR_ITEM_NOT_FOUND;
  auto impl = std::make_shared<ContextImpl>();
  impl->transport = std::move(*transport);
  impl->handle = above_stdio(::eventfd(0, EFD_CLOEXEC));
  if (impl->handle < 0) return TEEC_ERROR_OUT_OF_MEMORY;
  context->imp.fd = impl->handle;
  context->imp.reg_mem = false;     // registered buffers go through a shadow copy
  context->imp.memref_null = true;  // a NULL memref of size 0 reaches the TA as such
  const int handle = impl->handle;
  contexts().add(handle, std::move(impl));
  return TEEC_SUCCESS;
}

void TEEC_FinalizeContext(TEEC_Context* context) {
  if (!context) return;
  // The connection closes with the last reference: the TEE closes the context's sessions.
  contexts().take_if(context->imp.fd, [](const ContextImpl&) { return true; });
  context->imp.fd = -1;
}

/// How the login reaches the TEE, or why the client side refuses it.
static TEEC_Result check_login(uint32_t method, const void* data, uint32_t* origin) {
  switch (method) {
    case TEEC_LOGIN_PUBLIC:
    case TEEC_LOGIN_USER:
    case TEEC_LOGIN_APPLICATION:
    case TEEC_LOGIN_USER_APPLICATION:
      return TEEC_SUCCESS;
    case TEEC_LOGIN_GROUP:
    case TEEC_LOGIN_GROUP_APPLICATION:
      return data ? TEEC_SUCCESS : TEEC_ERROR_BAD_PARAMETERS;
    default:
      break;
  }
  if (method >= TEEC_LOGIN_REE_KERNEL_MIN && method <= TEEC_LOGIN_REE_KERNEL_MAX) {
#ifdef RPROCTEE_TEEC_USER_SPACE
    // A user-space client cannot claim the kernel's login: the TEE driver answers EPERM.
    set_origin(origin, TEEC_ORIGIN_COMMS);
    return TEEC_ERROR_GENERIC;
#else
    return TEEC_SUCCESS;  // the normal world's kernel (remoteproc_tee)
#endif
  }
  set_origin(origin, TEEC_ORIGIN_COMMS);  // the TEE driver knows no such method (EINVAL)
  return TEEC_ERROR_BAD_PARAMETERS;
}

TEEC_Result TEEC_OpenSession(TEEC_Context* context, TEEC_Session* session,
                             const TEEC_UUID* destination, uint32_t connectionMethod,
                             const void* connectionData, TEEC_Operation* operation,
                             uint32_t* returnOrigin) {
  set_origin(returnOrigin, TEEC_ORIGIN_API);
  const auto ctx = context_of(context);
  if (!ctx || !session || !destination) return TEEC_ERROR_BAD_PARAMETERS;
  if (const TEEC_Result r = check_login(connectionMethod, connectionData, returnOrigin);
      r != TEEC_SUCCESS)
    return r;
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
  const TEEC_Result res = invoke(ctx, r, operation, returnOrigin, &id);
  if (res == TEEC_SUCCESS) {
    session->imp.ctx = context;
    session->imp.session_id = id;
  }
  return res;
}

void TEEC_CloseSession(TEEC_Session* session) {
  if (!session) return;
  const auto ctx = context_of(session->imp.ctx);
  if (!ctx) return;
  Request r;
  r.kind = MessageKind::kCloseSession;
  r.session = session->imp.session_id;
  std::vector<int> received;
  (void)ctx->call(r, {}, received);
  session->imp.ctx = nullptr;
}

TEEC_Result TEEC_InvokeCommand(TEEC_Session* session, uint32_t commandID, TEEC_Operation* operation,
                               uint32_t* returnOrigin) {
  set_origin(returnOrigin, TEEC_ORIGIN_API);
  const auto ctx = session ? context_of(session->imp.ctx) : nullptr;
  if (!ctx) return TEEC_ERROR_BAD_PARAMETERS;
  if (operation) operation->imp.session = session;  // for TEEC_RequestCancellation
  Request r;
  r.kind = MessageKind::kInvoke;
  r.session = session->imp.session_id;
  r.command = commandID;
  return invoke(ctx, r, operation, returnOrigin, nullptr);
}

static TEEC_Result setup_shared_memory(TEEC_Context* context, TEEC_SharedMemory* shm,
                                       bool allocate) {
  const auto ctx = context_of(context);
  if (!ctx || !shm) return TEEC_ERROR_BAD_PARAMETERS;
  if (shm->flags == 0 || (shm->flags & ~uint32_t{TEEC_MEM_INPUT | TEEC_MEM_OUTPUT}))
    return TEEC_ERROR_BAD_PARAMETERS;
  if (!allocate && !shm->buffer && shm->size != 0) return TEEC_ERROR_BAD_PARAMETERS;
  std::shared_ptr<ShmImpl> impl;
  if (const TEEC_Result r = make_shm(ctx, shm->size, shm->flags, impl); r != TEEC_SUCCESS) return r;
  impl->shadow = !allocate;
  if (allocate) shm->buffer = impl->map;
  shm->imp.id = static_cast<int>(impl->id);
  shm->imp.alloced_size = impl->map_size;
  shm->imp.shadow_buffer = allocate ? nullptr : impl->map;
  shm->imp.registered_fd = impl->fd;
  shm->imp.flags = allocate ? kBufferAllocated : kShadowBufferAllocated;
  const int fd = impl->fd;
  shared_memories().add(fd, std::move(impl));
  return TEEC_SUCCESS;
}

TEEC_Result TEEC_RegisterSharedMemory(TEEC_Context* context, TEEC_SharedMemory* sharedMem) {
  return setup_shared_memory(context, sharedMem, false);
}

TEEC_Result TEEC_AllocateSharedMemory(TEEC_Context* context, TEEC_SharedMemory* sharedMem) {
  return setup_shared_memory(context, sharedMem, true);
}

void TEEC_ReleaseSharedMemory(TEEC_SharedMemory* sharedMemory) {
  if (!sharedMemory) return;
  const auto released = shared_memories().take_if(
      sharedMemory->imp.registered_fd,
      [&](const ShmImpl& shm) { return static_cast<int>(shm.id) == sharedMemory->imp.id; });
  if (!released) return;
  if (sharedMemory->imp.flags & kBufferAllocated) sharedMemory->buffer = nullptr;
  sharedMemory->imp.shadow_buffer = nullptr;
  sharedMemory->imp.id = -1;
  sharedMemory->imp.alloced_size = 0;
  sharedMemory->imp.registered_fd = -1;
  sharedMemory->imp.flags = 0;
}

void TEEC_RequestCancellation(TEEC_Operation* operation) {
  // The TAs here finish every command in bounded time; cancellation is accepted and ignored,
  // which GlobalPlatform allows.
  (void)operation;
}

}  // extern "C"
