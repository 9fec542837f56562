#!/usr/bin/env python3
"""hub_diff.py BIN TOOL SEED COUNT - random quantized checkpoints (tensor
names, dtypes and quantization configs drawn from the layouts the Hub's
rules know), counted by modelmem (logical_parameters) and by the Hub's own
parser (TOOL = ../shared/tools/hfhub-count.mjs, needs node and HFHUB_DIR);
prints every disagreement, exits 1 if any. ctest's cli_hub_crosscheck runs
seed 1, 100 cases; more by hand:
    HFHUB_DIR=build/hub-node/node_modules python3 tests/hub_diff.py build/modelmem ../shared/tools/hfhub-count.mjs 2 1000
"""
import json, os, random, subprocess, sys, shutil, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'estimate'))
from gen_estimate import write_safetensors
BIN, TOOL = sys.argv[1], sys.argv[2]
random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
work = tempfile.mkdtemp()
methods = ['gptq','awq','bitsandbytes','fp8','mxfp4','compressed-tensors','hqq',None,'mlx','GPTQ']
mods = ['model.layers.0.self_attn.q_proj','model.layers.0.mlp.down_proj','model.layers.1.mlp.experts.0.w1',
        'model.layers.1.mlp.shared_experts.w2','lm_head','model.embed_tokens','model.layers.0.mlp.experts']
sufs = ['weight','qweight','qzeros','scales','g_idx','biases','weight_scale','weight_scale_inv','input_scale',
        'absmax','quant_map','weight.quant_state.bitsandbytes__nf4','weight_packed','weight_shape','gate_up_proj_blocks',
        'gate_up_proj_scales','SCB','bias','scale']
dtypes = ['U8','I8','U32','I32','F16','BF16','F32','F8_E4M3','F8_E8M0','U16','I16']
bad = 0
compared = 0
hub_failed = 0
for case in range(int(sys.argv[4]) if len(sys.argv) > 4 else 100):
    d = os.path.join(work, 'c')
    shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
    names = set(); tensors = []
    for _ in range(random.randint(1, 12)):
        n = random.choice(mods) + '.' + random.choice(sufs)
        if n in names: continue
        names.add(n)
        rank = random.choice([0,1,2,2,2,3])
        tensors.append((n, random.choice(dtypes), [random.choice([1,2,4,8,16]) for _ in range(rank)]))
    q = {}
    m = random.choice(methods)
    if m: q['quant_method'] = m
    if random.random() < 0.7: q['bits'] = random.choice([2,3,4,5,6,8,4,4])
    if random.random() < 0.3: q['group_size'] = random.choice([32,64,128,16])
    if random.random() < 0.3: q['load_in_4bit'] = random.choice([True, False])
    if random.random() < 0.3: q['modules_to_not_convert'] = random.sample(['lm_head','model.layers.*.mlp','down_proj','experts','model.embed_tokens'], random.randint(1,2))
    if random.random() < 0.3: q['ignore'] = random.sample(['lm_head','re:.*mlp.*','re:.*q_proj$','model.layers.0.self_attn.q_proj'], random.randint(1,2))
    if random.random() < 0.4: q['format'] = random.choice(['pack-quantized','int-quantized','nvfp4-pack-quantized','float-quantized'])
    if random.random() < 0.4:
        q['config_groups'] = {'g%d'%i: {'targets': random.sample(['Linear','re:.*q_proj$','re:.*mlp.*','lm_head'],1),
                                         **({'format': random.choice(['pack-quantized','naive-quantized'])} if random.random()<0.5 else {}),
                                         **({'weights': {'num_bits': random.choice([4,8,2])}} if random.random()<0.7 else {})} for i in range(random.randint(1,2))}
    if random.random() < 0.3: q['mode'] = random.choice(['affine','mxfp4','nvfp4','mxfp8'])
    if random.random() < 0.2: q[random.choice(mods)] = random.choice([False, {'bits': 8, 'group_size': 64}, {'mode':'mxfp4'}])
    if random.random() < 0.2: q['expert_dtype'] = random.choice(['mxfp4','int4','fp8'])
    cfg = {}
    key = random.choice(['quantization_config','quantization_config','quantization','text'])
    if key == 'text': cfg['text_config'] = {'quantization_config': q}
    else: cfg[key] = q
    if random.random() < 0.2: cfg['expert_dtype'] = random.choice(['mxfp4','nvfp4','int2'])
    write_safetensors(d + '/model.safetensors', tensors)
    json.dump(cfg, open(d + '/config.json','w'))
    h = subprocess.run(['node', TOOL, d], capture_output=True, text=True)
    try:
        hub = sum(json.loads(h.stdout)['parameterCount'].values())
    except Exception:
        hub_failed += 1
        print('hub failed', h.stderr[:200]); continue
    o = subprocess.run([BIN, d, '--json'], capture_output=True, text=True)
    if o.returncode != 0:
        print('ours failed', o.stderr); bad += 1; continue
    ours = json.loads(o.stdout)['logical_parameters']
    compared += 1
    if ours != hub:
        bad += 1
        print('MISMATCH', hub, ours, json.dumps(cfg), tensors)
shutil.rmtree(work, ignore_errors=True)
print('compared: %d, the Hub failed on %d, disagreements: %d' % (compared, hub_failed, bad))
# a run that compared little (the Hub's parser failing throughout) proves nothing
sys.exit(1 if bad or compared < (compared + hub_failed + bad) // 2 or compared == 0 else 0)
