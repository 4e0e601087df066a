/*
 * io_fault_shim: an LD_PRELOAD library that lets a test fail the write, force, truncate, rename, delete and
 * create calls a JVM makes on files under one directory, whether Java (FileChannel, Files) or native code
 * (LMDB's pwrite/writev/fdatasync) makes them. Built and used by LmdbStoreFaultInjectionTest; see IoShim.java.
 *
 * Disarmed it passes every call straight through (one atomic load). Armed with a directory, for a call on a
 * file under it (an fd's path read from /proc/self/fd/N, a mapping's from /proc/self/maps), it first calls the
 * static Java method IoShim.decide(operation, path) through JNI; a non-zero answer is an errno the call sets
 * and then returns -1 without being made. Threads the JVM does not know (LMDB's compacting copy writes from
 * its own pthread) are attached for the call and detached after it.
 *
 * | operation | calls                                                                  |
 * |-----------|------------------------------------------------------------------------|
 * | write     | write, pwrite, pwrite64, writev, pwritev, pwritev64, pwritev2           |
 * | force     | fsync, fdatasync, sync_file_range, msync                                |
 * | truncate  | ftruncate, ftruncate64                                                  |
 * | rename    | rename, renameat, renameat2 (either name under the directory)           |
 * | delete    | unlink, unlinkat                                                        |
 * | create    | open, open64, openat, openat64 with O_CREAT of a file that is not there |
 *
 * cc -shared -fPIC -O2 -I$JAVA_HOME/include -I$JAVA_HOME/include/linux -o libiofaultshim.so io_fault_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define FAULT_NO_SPACE 1
#define FAULT_IO_ERROR 2

static atomic_int armed;
static char prefix[PATH_MAX];
static size_t prefix_len;
static JavaVM *jvm;
static jclass hook_class;
static jmethodID hook_method;
static atomic_long calls_seen;
/* a hook call runs Java, which must not be counted (nor recurse) should it touch a file itself */
static __thread int in_hook;

#define REAL(name, ret, ...) \
    static ret (*real_##name)(__VA_ARGS__); \
    static ret (*get_##name(void))(__VA_ARGS__) \
    { \
        if (real_##name == NULL) \
        { \
            real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
        } \
        return real_##name; \
    }

REAL(write, ssize_t, int, const void *, size_t)
REAL(pwrite, ssize_t, int, const void *, size_t, off_t)
REAL(pwrite64, ssize_t, int, const void *, size_t, off64_t)
REAL(writev, ssize_t, int, const struct iovec *, int)
REAL(pwritev, ssize_t, int, const struct iovec *, int, off_t)
REAL(pwritev64, ssize_t, int, const struct iovec *, int, off64_t)
REAL(pwritev2, ssize_t, int, const struct iovec *, int, off_t, int)
REAL(fsync, int, int)
REAL(fdatasync, int, int)
REAL(sync_file_range, int, int, off64_t, off64_t, unsigned int)
REAL(msync, int, void *, size_t, int)
REAL(ftruncate, int, int, off_t)
REAL(ftruncate64, int, int, off64_t)
REAL(rename, int, const char *, const char *)
REAL(renameat, int, int, const char *, int, const char *)
REAL(renameat2, int, int, const char *, int, const char *, unsigned int)
REAL(unlink, int, const char *)
REAL(unlinkat, int, int, const char *, int)
REAL(open, int, const char *, int, ...)
REAL(open64, int, const char *, int, ...)
REAL(openat, int, int, const char *, int, ...)
REAL(openat64, int, int, const char *, int, ...)

static int under_prefix(const char *path)
{
    return prefix_len > 0 && strncmp(path, prefix, prefix_len) == 0 &&
        (path[prefix_len] == '\0' || path[prefix_len] == '/');
}

/* Asks Java; returns the errno to fail with, or 0. */
static int ask(const char *operation, const char *path)
{
    if (in_hook || jvm == NULL)
    {
        return 0;
    }
    in_hook = 1;
    int result = 0;
    JNIEnv *env = NULL;
    int attached = 0;
    jint got = (*jvm)->GetEnv(jvm, (void **)&env, JNI_VERSION_1_8);
    if (got == JNI_EDETACHED)
    {
        if ((*jvm)->AttachCurrentThreadAsDaemon(jvm, (void **)&env, NULL) != JNI_OK)
        {
            /* not counted rather than failed: an error the test did not ask for would be a false finding */
            in_hook = 0;
            fprintf(stderr, "io_fault_shim: could not attach a thread to the JVM; %s of %s not counted\n",
                operation, path);
            return 0;
        }
        attached = 1;
    }
    else if (got != JNI_OK)
    {
        in_hook = 0;
        fprintf(stderr, "io_fault_shim: no JNI environment (%d); %s of %s not counted\n", (int)got, operation, path);
        return 0;
    }
    if ((*env)->ExceptionCheck(env))
    {
        /* a JDK native method failed already and is on its way out: not a call that gets made */
        in_hook = 0;
        return 0;
    }
    atomic_fetch_add(&calls_seen, 1);
    jstring jop = (*env)->NewStringUTF(env, operation);
    jstring jpath = jop == NULL ? NULL : (*env)->NewStringUTF(env, path);
    jint answer = jpath == NULL ? FAULT_IO_ERROR : (*env)->CallStaticIntMethod(env, hook_class, hook_method, jop, jpath);
    if ((*env)->ExceptionCheck(env))
    {
        (*env)->ExceptionDescribe(env);
        (*env)->ExceptionClear(env);
        answer = FAULT_IO_ERROR;
    }
    if (jop != NULL)
    {
        (*env)->DeleteLocalRef(env, jop);
    }
    if (jpath != NULL)
    {
        (*env)->DeleteLocalRef(env, jpath);
    }
    result = answer == FAULT_NO_SPACE ? ENOSPC : answer == FAULT_IO_ERROR ? EIO : 0;
    if (attached)
    {
        (*jvm)->DetachCurrentThread(jvm);
    }
    in_hook = 0;
    return result;
}

static int check_path(const char *operation, const char *path)
{
    if (!atomic_load_explicit(&armed, memory_order_acquire) || path == NULL || in_hook)
    {
        return 0;
    }
    return under_prefix(path) ? ask(operation, path) : 0;
}

static int check_fd(const char *operation, int fd)
{
    if (!atomic_load_explicit(&armed, memory_order_acquire) || in_hook)
    {
        return 0;
    }
    char link[64];
    char path[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    const ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n <= 0)
    {
        return 0;
    }
    path[n] = '\0';
    return under_prefix(path) ? ask(operation, path) : 0;
}

/* A name relative to a directory fd (or the working directory), made absolute so it can be matched; 0 if not. */
static int resolve_at(int dirfd, const char *name, char *full, size_t size)
{
    if (name == NULL)
    {
        return 0;
    }
    if (name[0] == '/')
    {
        return snprintf(full, size, "%s", name) < (int)size;
    }
    char dir[PATH_MAX];
    if (dirfd == AT_FDCWD)
    {
        if (getcwd(dir, sizeof(dir)) == NULL)
        {
            return 0;
        }
    }
    else
    {
        char link[64];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
        const ssize_t n = readlink(link, dir, sizeof(dir) - 1);
        if (n <= 0)
        {
            return 0;
        }
        dir[n] = '\0';
    }
    return snprintf(full, size, "%s/%s", dir, name) < (int)size;
}

static int check_at(const char *operation, int dirfd, const char *name)
{
    if (!atomic_load_explicit(&armed, memory_order_acquire) || in_hook)
    {
        return 0;
    }
    char full[PATH_MAX];
    return resolve_at(dirfd, name, full, sizeof(full)) ? check_path(operation, full) : 0;
}

/* One call for a rename, named by its target, or by its source when only that lies under the directory. */
static int check_rename(int fromfd, const char *from, int tofd, const char *to)
{
    if (!atomic_load_explicit(&armed, memory_order_acquire) || in_hook)
    {
        return 0;
    }
    char full[PATH_MAX];
    if (resolve_at(tofd, to, full, sizeof(full)) && under_prefix(full))
    {
        return ask("rename", full);
    }
    if (resolve_at(fromfd, from, full, sizeof(full)) && under_prefix(full))
    {
        return ask("rename", full);
    }
    return 0;
}

/* The file mapped at addr, from /proc/self/maps. */
static int check_mapping(const char *operation, const void *addr)
{
    if (!atomic_load_explicit(&armed, memory_order_acquire) || in_hook)
    {
        return 0;
    }
    FILE *maps = fopen("/proc/self/maps", "r");
    if (maps == NULL)
    {
        return 0;
    }
    char line[PATH_MAX + 256];
    char path[PATH_MAX];
    int found = 0;
    while (!found && fgets(line, sizeof(line), maps) != NULL)
    {
        unsigned long start;
        unsigned long end;
        int consumed = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &consumed) >= 2 &&
            (uintptr_t)addr >= start && (uintptr_t)addr < end && consumed > 0)
        {
            size_t len = strcspn(line + consumed, "\n");
            if (len > 0 && len < sizeof(path))
            {
                memcpy(path, line + consumed, len);
                path[len] = '\0';
                found = 1;
            }
        }
    }
    fclose(maps);
    return found ? check_path(operation, path) : 0;
}

static int check_create(int dirfd, const char *name, int flags)
{
    if (!(flags & O_CREAT) || !atomic_load_explicit(&armed, memory_order_acquire) || in_hook || name == NULL)
    {
        return 0;
    }
    struct stat st;
    if (fstatat(dirfd, name, &st, 0) == 0)
    {
        return 0; /* opening an existing file creates nothing */
    }
    return check_at("create", dirfd, name);
}

#define FAIL_IF(check) \
    do \
    { \
        const int e_ = (check); \
        if (e_ != 0) \
        { \
            errno = e_; \
            return -1; \
        } \
    } while (0)

ssize_t write(int fd, const void *buf, size_t count)
{
    FAIL_IF(check_fd("write", fd));
    return get_write()(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
    FAIL_IF(check_fd("write", fd));
    return get_pwrite()(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset)
{
    FAIL_IF(check_fd("write", fd));
    return get_pwrite64()(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    FAIL_IF(check_fd("write", fd));
    return get_writev()(fd, iov, iovcnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
    FAIL_IF(check_fd("write", fd));
    return get_pwritev()(fd, iov, iovcnt, offset);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off64_t offset)
{
    FAIL_IF(check_fd("write", fd));
    return get_pwritev64()(fd, iov, iovcnt, offset);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags)
{
    FAIL_IF(check_fd("write", fd));
    return get_pwritev2()(fd, iov, iovcnt, offset, flags);
}

int fsync(int fd)
{
    FAIL_IF(check_fd("force", fd));
    return get_fsync()(fd);
}

int fdatasync(int fd)
{
    FAIL_IF(check_fd("force", fd));
    return get_fdatasync()(fd);
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
    FAIL_IF(check_fd("force", fd));
    return get_sync_file_range()(fd, offset, nbytes, flags);
}

int msync(void *addr, size_t length, int flags)
{
    FAIL_IF(check_mapping("force", addr));
    return get_msync()(addr, length, flags);
}

int ftruncate(int fd, off_t length)
{
    FAIL_IF(check_fd("truncate", fd));
    return get_ftruncate()(fd, length);
}

int ftruncate64(int fd, off64_t length)
{
    FAIL_IF(check_fd("truncate", fd));
    return get_ftruncate64()(fd, length);
}

int rename(const char *from, const char *to)
{
    FAIL_IF(check_rename(AT_FDCWD, from, AT_FDCWD, to));
    return get_rename()(from, to);
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
    FAIL_IF(check_rename(fromfd, from, tofd, to));
    return get_renameat()(fromfd, from, tofd, to);
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
    FAIL_IF(check_rename(fromfd, from, tofd, to));
    return get_renameat2()(fromfd, from, tofd, to, flags);
}

int unlink(const char *path)
{
    FAIL_IF(check_at("delete", AT_FDCWD, path));
    return get_unlink()(path);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    FAIL_IF(check_at("delete", dirfd, path));
    return get_unlinkat()(dirfd, path, flags);
}

static mode_t mode_of(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_of(flags, ap);
    va_end(ap);
    FAIL_IF(check_create(AT_FDCWD, path, flags));
    return get_open()(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_of(flags, ap);
    va_end(ap);
    FAIL_IF(check_create(AT_FDCWD, path, flags));
    return get_open64()(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_of(flags, ap);
    va_end(ap);
    FAIL_IF(check_create(dirfd, path, flags));
    return get_openat()(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_of(flags, ap);
    va_end(ap);
    FAIL_IF(check_create(dirfd, path, flags));
    return get_openat64()(dirfd, path, flags, mode);
}

/* ------------------------------------------------------------------------------------------------ JNI: IoShim */

JNIEXPORT jboolean JNICALL Java_io_streamstore_lmdbstore_IoShim_interposed0(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    /* preloaded, this library's fdatasync comes first in the global lookup; merely loaded, libc's does */
    return dlsym(RTLD_DEFAULT, "fdatasync") == (void *)fdatasync &&
        dlsym(RTLD_DEFAULT, "pwrite") == (void *)pwrite ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jboolean JNICALL Java_io_streamstore_lmdbstore_IoShim_arm0(JNIEnv *env, jclass cls, jstring directory)
{
    if (atomic_load(&armed))
    {
        return JNI_FALSE;
    }
    if (jvm == NULL && (*env)->GetJavaVM(env, &jvm) != JNI_OK)
    {
        return JNI_FALSE;
    }
    if (hook_class == NULL)
    {
        hook_class = (jclass)(*env)->NewGlobalRef(env, cls);
        hook_method = (*env)->GetStaticMethodID(env, cls, "decide", "(Ljava/lang/String;Ljava/lang/String;)I");
        if (hook_method == NULL)
        {
            return JNI_FALSE;
        }
    }
    const char *dir = (*env)->GetStringUTFChars(env, directory, NULL);
    if (dir == NULL)
    {
        return JNI_FALSE;
    }
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
    {
        len--;
    }
    if (len == 0 || len >= sizeof(prefix))
    {
        (*env)->ReleaseStringUTFChars(env, directory, dir);
        return JNI_FALSE;
    }
    memcpy(prefix, dir, len);
    prefix[len] = '\0';
    prefix_len = len;
    (*env)->ReleaseStringUTFChars(env, directory, dir);
    atomic_store_explicit(&armed, 1, memory_order_release);
    return JNI_TRUE;
}

JNIEXPORT void JNICALL Java_io_streamstore_lmdbstore_IoShim_disarm0(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    atomic_store_explicit(&armed, 0, memory_order_release);
}

JNIEXPORT jlong JNICALL Java_io_streamstore_lmdbstore_IoShim_callsSeen0(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    return atomic_load(&calls_seen);
}
