# torch.sh BIN JSONCHECK FIXTURES - PyTorch checkpoints on the command line:
# a malicious pickle is one error line naming the global and its offset,
# exit 1, and nothing runs; --allow-unsafe-pickle reads it with a warning
# line on stderr; unknown globals are warnings (stderr, inspect --json
# "warnings"); verify reports them; -q silences warnings; what torch.load
# refuses or never reaches is refused with its code and offset.
. "$(dirname "$0")/lib.sh"
BIN=$1
JSONCHECK=$2
FIX=$3
PWNED=/tmp/modelmem-torch-fixture-pwned
rm -f "$PWNED"

run "$BIN" inspect "$FIX/malformed/os_system.pt"
expect_rc 1
expect_stdout_empty
expect_stderr_one_line "modelmem: $FIX/malformed/os_system.pt: pickle imports os.system, which can run code"
grep -q "(byte 48)" "$ERR" || fail "the error does not give the byte offset 48"

run "$BIN" inspect --allow-unsafe-pickle "$FIX/malformed/os_system.pt"
expect_rc 0
expect_stderr_one_line "modelmem: os_system.pt: warning: pickle imports os.system, which can run code (not run) (byte 48) [unsafe-pickle-global]"

run "$BIN" "$FIX/malformed/eval_stack_global.pt" --allow-unsafe-pickle -q
expect_rc 0
expect_stderr_empty
[ -e "$PWNED" ] && fail "a pickle's command ran: $PWNED exists"

run "$BIN" verify "$FIX/malformed/subprocess_popen.pt"
expect_rc 1
grep -q "unsafe-pickle-global" "$OUT" || fail "verify does not report unsafe-pickle-global"
grep -q "subprocess.Popen" "$OUT" || fail "verify does not name subprocess.Popen"

run "$BIN" inspect --json "$FIX/malformed/unknown_global.pt"
expect_rc 0
expect_stderr_one_line "modelmem: unknown_global.pt: warning: pickle imports mypackage.config.Config"
"$JSONCHECK" warnings/0/code=unknown-pickle-global warnings/0/offset=193 \
    tensors/0/name=w files/0/format=pytorch <"$OUT" || fail "inspect --json warnings"

run "$BIN" verify "$FIX/malformed/unknown_global.pt"
expect_rc 0
grep -q "unknown-pickle-global" "$OUT" || fail "verify does not warn about the unknown global"

run "$BIN" "$FIX/sharded" --json
expect_rc 0
"$JSONCHECK" parameters=58 stored_bytes=232 <"$OUT" || fail "estimate of the sharded folder"

run "$BIN" "$FIX/malformed/tensor_beyond_storage.pt"
expect_rc 1
expect_stderr_one_line "modelmem: $FIX/malformed/tensor_beyond_storage.pt: tensor (offset 0, 9 elements) extends past its storage 0 of 16 bytes (tensor w, byte 183)"
# A dotted name part is resolved as Python resolves it (torch + os.system is
# os.system): refused by inspect, estimate and verify alike.
for f in dotted_global_os_system.pt dotted_memoize_hub_load.pt dotted_inst_os_system.pt; do
    run "$BIN" inspect "$FIX/malformed/$f"
    expect_rc 1
    expect_stdout_empty
    expect_stderr_one_line "modelmem: $FIX/malformed/$f: pickle imports torch."
    grep -q "a dotted name, which can reach any callable" "$ERR" || fail "$f: not refused as dotted"
    run "$BIN" "$FIX/malformed/$f"
    expect_rc 1
    expect_stdout_empty
    grep -q "pickle imports torch" "$ERR" || fail "$f: estimate does not refuse it"
    run "$BIN" verify "$FIX/malformed/$f"
    expect_rc 1
    grep -q "unsafe-pickle-global" "$OUT" || fail "$f: verify does not report unsafe-pickle-global"
done
run "$BIN" inspect --allow-unsafe-pickle "$FIX/malformed/dotted_global_os_system.pt"
expect_rc 0
expect_stderr_one_line "modelmem: dotted_global_os_system.pt: warning: pickle imports torch.os.system, a dotted name, which can reach any callable (not run) (byte 48) [unsafe-pickle-global]"
[ -e "$PWNED" ] && fail "a pickle's command ran: $PWNED exists"
# strict where torch is strict: refused, exit 1, the code and the offset
for case in frame_past_end.pt:pickle-frame-length:48 \
    short_binunicode_not_utf8.pt:pickle-string-not-utf8:48 \
    next_buffer.pt:pickle-out-of-band-buffer:48 \
    pickle_trailing_data.pt:pickle-trailing-data:186 \
    pickle_trailing_data.pkl:pickle-trailing-data:4 \
    zip_two_folders.pt:zip-mixed-folders:494; do
    file=${case%%:*}
    rest=${case#*:}
    run "$BIN" inspect "$FIX/malformed/$file"
    expect_rc 1
    expect_stdout_empty
    expect_stderr_one_line "modelmem: $FIX/malformed/$file: "
    grep -q "(byte ${rest#*:})\$" "$ERR" || fail "$file: not refused at byte ${rest#*:}"
    run "$BIN" verify "$FIX/malformed/$file"
    expect_rc 1
    grep -q "^error ${rest%%:*}: " "$OUT" || fail "$file: verify does not report ${rest%%:*}"
done
# Below protocol 3 a Python 2 name is read as Python maps it
# (__builtin__.eval is builtins.eval): refused by inspect, estimate and
# verify; from protocol 3 on it is not mapped, an unknown global.
for f in compat_builtin_eval.pt compat_cpickle_loads.pt compat_commands_getoutput.pt; do
    run "$BIN" inspect "$FIX/malformed/$f"
    expect_rc 1
    expect_stdout_empty
    expect_stderr_one_line "modelmem: $FIX/malformed/$f: pickle imports "
    grep -q "below protocol 3), which can run code" "$ERR" || fail "$f: not refused as mapped"
    grep -q "(byte 48)" "$ERR" || fail "$f: the error does not give the byte offset 48"
    run "$BIN" "$FIX/malformed/$f"
    expect_rc 1
    expect_stdout_empty
    run "$BIN" verify "$FIX/malformed/$f"
    expect_rc 1
    grep -q "unsafe-pickle-global" "$OUT" || fail "$f: verify does not report unsafe-pickle-global"
done
run "$BIN" inspect --allow-unsafe-pickle "$FIX/malformed/compat_cpickle_loads.pt"
expect_rc 0
expect_stderr_one_line "modelmem: compat_cpickle_loads.pt: warning: pickle imports cPickle.loads (read as pickle.loads below protocol 3), which can run code (not run) (byte 48) [unsafe-pickle-global]"
run "$BIN" inspect --json "$FIX/malformed/compat_proto3_cpickle_loads.pt"
expect_rc 0
expect_stderr_one_line "modelmem: compat_proto3_cpickle_loads.pt: warning: pickle imports cPickle.loads, not a tensor-checkpoint global (not run) (byte 193) [unknown-pickle-global]"
"$JSONCHECK" warnings/0/code=unknown-pickle-global warnings/0/offset=193 \
    tensors/0/name=w <"$OUT" || fail "compat_proto3_cpickle_loads.pt: inspect --json warnings"
[ -e "$PWNED" ] && fail "a pickle's command ran: $PWNED exists"
finish
