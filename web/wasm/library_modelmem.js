// library_modelmem.js - two of Emscripten's system calls, as the module
// needs them (linked with --js-library by web/build.sh).
mergeInto(LibraryManager.library, {
  // pread with the whole 64-bit offset: Emscripten 3.1.6 (Debian 12) passes
  // only the low 32 bits on ("offsets over 2^32 not yet supported"), and a
  // PyTorch zip's central directory lies at the end of a file of many GiB.
  fd_pread__deps: ['$SYSCALLS', '$FS'],
  fd_pread: function(fd, iov, iovcnt, offset_low, offset_high, pnum) {
    var offset = offset_high * 4294967296 + (offset_low >>> 0);
    try {
      var stream = SYSCALLS.getStreamFromFD(fd);
      var num = SYSCALLS.doReadv(stream, iov, iovcnt, offset);
      HEAP32[pnum >> 2] = num;
      return 0;
    } catch (e) {
      if (!(e instanceof FS.ErrnoError)) {
        throw e;
      }
      return e.errno;
    }
  },
  // stdout (1) and stderr (2) as bytes, to Module.mmSink(fd, bytes): the
  // worker keeps a command's document and its error line whole (the default
  // path decodes and prints one line at a time). Nothing else is written.
  fd_write: function(fd, iov, iovcnt, pnum) {
    var num = 0;
    var sink = Module['mmSink'];
    for (var i = 0; i < iovcnt; i++) {
      var ptr = HEAP32[(iov + i * 8) >> 2];
      var len = HEAP32[(iov + i * 8 + 4) >> 2];
      if (sink && len > 0) {
        sink(fd, HEAPU8.slice(ptr, ptr + len));
      }
      num += len;
    }
    HEAP32[pnum >> 2] = num;
    return 0;
  },
});
