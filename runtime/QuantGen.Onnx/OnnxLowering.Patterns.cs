using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Exporter patterns lowered to existing operators: the opset-13 decomposed LayerNorm, ReduceMean over several
    /// adjacent axes and AveragePool over the whole feature map (both as Reshape + AvgPool over one axis).
    /// </summary>
    internal sealed partial class OnnxLowering
    {
        private List<Node> ConsumersOf(string t, HashSet<Node> done) => rest.Where(r => !done.Contains(r) && r.Op != "Shape" && r.In.Contains(t)).ToList();

        private bool IsLastAxisMean(Node n, int rank)
        {
            if (n.Op != "ReduceMean" || (n.Src.Attribute("keepdims")?.I ?? 1) == 0)
            {
                return false;
            }

            long[] axes;
            try
            {
                axes = AxesOf(n);
            }
            catch (OnnxImportException)
            {
                return false;
            }

            return axes.Length == 1 && (axes[0] == -1 || axes[0] == rank - 1);
        }

        /// <summary>
        /// LayerNorm as torch writes it below opset 17: mean = ReduceMean(x, -1); d = x - mean;
        /// var = ReduceMean(Pow(d, 2), -1) (or d * d); y = d / Sqrt(var + eps) (* gamma) (+ beta).
        /// </summary>
        private bool TryDecomposedLayerNorm(Node mean, HashSet<Node> done)
        {
            string x = mean.In[0];

            // A QDQ file quantized from an export below opset 17 (onnxruntime's quantize_static puts QDQ pairs on the Add and
            // Mul inputs and outputs inside the decomposition): the pairs inside the chain are dropped, the integer LayerNorm
            // computes the whole normalisation at once (noted; ORT rounds each of them).
            bool throughQdq = sawQdq;
            if (!shapes.TryGetValue(x, out int[]? xs) || !IsLastAxisMean(mean, xs.Length) || (quant.ContainsKey(mean.Out) && !throughQdq))
            {
                return false;
            }

            var chain = new List<Node>();
            Node? Sole(string t)
            {
                if (quant.ContainsKey(t) && !throughQdq)
                {
                    return null;
                }

                List<Node> c = ConsumersOf(t, done);
                return c.Count == 1 && Uses(t) == 1 ? c[0] : null;
            }

            Node? sub = Sole(mean.Out);
            if (sub == null || sub.Op != "Sub" || sub.In[0] != x || sub.In[1] != mean.Out || (quant.ContainsKey(sub.Out) && !throughQdq))
            {
                return false;
            }

            List<Node> uses = ConsumersOf(sub.Out, done);
            Node? square = uses.FirstOrDefault(u => (u.Op == "Pow" && u.In[0] == sub.Out && IsScalar(u.In[1], 2.0)) || (u.Op == "Mul" && u.In[0] == sub.Out && u.In[1] == sub.Out));
            Node? div = uses.FirstOrDefault(u => u.Op == "Div" && u.In[0] == sub.Out);
            if (square == null || div == null || uses.Count != 2 || Uses(sub.Out) != (square.Op == "Mul" ? 3 : 2))
            {
                return false;
            }

            Node? variance = Sole(square.Out);
            if (variance == null || !IsLastAxisMean(variance, xs.Length))
            {
                return false;
            }

            Node? addEps = Sole(variance.Out);
            string? epsName = addEps?.Op == "Add" ? (addEps.In[0] == variance.Out ? addEps.In[1] : addEps.In[0]) : null;
            double? eps = epsName != null ? ScalarConst(epsName) : null;
            Node? sqrt = eps != null ? Sole(addEps!.Out) : null;
            if (sqrt == null || sqrt.Op != "Sqrt" || Sole(sqrt.Out) != div || div.In[1] != sqrt.Out)
            {
                return false;
            }

            chain.AddRange(new[] { sub, square, variance, addEps!, sqrt, div });
            int ch = xs[xs.Length - 1];
            string last = div.Out;
            string? gamma = null, beta = null;
            if (Sole(last) is Node mul && mul.Op == "Mul")
            {
                string other = mul.In[0] == last ? mul.In[1] : mul.In[0];
                if (consts.TryGetValue(other, out TensorValue? g) && g.Count == ch && (throughQdq || !qconsts.ContainsKey(other)))
                {
                    gamma = other;
                    chain.Add(mul);
                    last = mul.Out;
                }
            }

            if (Sole(last) is Node add && add.Op == "Add")
            {
                string other = add.In[0] == last ? add.In[1] : add.In[0];
                if (consts.TryGetValue(other, out TensorValue? b) && b.Count == ch && (throughQdq || !qconsts.ContainsKey(other)))
                {
                    beta = other;
                    chain.Add(add);
                    last = add.Out;
                }
            }

            foreach (Node m in chain)
            {
                done.Add(m);
            }

            var inner = new[] { mean }.Concat(chain).Select(m => m.Out).Where(t => t != last && quant.ContainsKey(t)).ToList();
            foreach (string t in inner)
            {
                fixedActs.Remove(Name(t));
            }

            if (inner.Count > 0)
            {
                notes.Add($"{mean.Src.Place}: {inner.Count} QDQ pairs inside the written-out LayerNorm ({string.Join(", ", inner.Select(t => "'" + t + "'"))}) dropped: the integer LayerNorm normalises at once (ONNX Runtime rounds each pair: expect a few LSB)");
            }

            var ln = new LayerNormLayer { Epsilon = (float)eps!.Value };
            ln.Gamma = AddFloatInitializer(gamma ?? mean.Out + ".gamma", new[] { ch }, gamma != null ? Floats(consts[gamma]) : Enumerable.Repeat(1f, ch).ToArray());
            if (beta != null)
            {
                ln.Beta = AddFloatInitializer(beta, new[] { ch }, Floats(consts[beta]));
            }

            Add(ln, mean, last, x);
            Produce(last, xs);
            notes.Add($"{mean.Src.Place}: LayerNorm written out ({string.Join(" -> ", new[] { mean }.Concat(chain).Select(r => r.Op))}, opset {opset}) mapped to LayerNorm (I-LayerNorm)");
            return true;
        }

        private static float[] Floats(TensorValue t) => t.Floats ?? t.AsDoubles().Select(v => (float)v).ToArray();

        /// <summary>ReduceMean over adjacent axes: Reshape (merge them) -> AvgPool over the merged axis (-> Reshape for keepdims).</summary>
        private void LowerReduceMean(Node n)
        {
            int[] xs = ShapeOf(n.In[0], n.Src);
            long[] raw = AxesOf(n);
            if (raw.Length == 0)
            {
                raw = Enumerable.Range(0, xs.Length).Select(i => (long)i).ToArray();
            }

            int[] axes = raw.Select(a => (int)(a < 0 ? a + xs.Length : a)).Distinct().OrderBy(a => a).ToArray();
            if (axes.Any(a => a < 0 || a >= xs.Length))
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, n.Src.Place, $"axes [{string.Join(", ", raw)}] are outside a tensor of rank {xs.Length}");
            }

            if (axes.Where((a, i) => i > 0 && a != axes[i - 1] + 1).Any())
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, n.Src.Place, $"ReduceMean over the non-adjacent axes [{string.Join(", ", raw)}]; QuantGen averages adjacent axes (AvgPool over one merged axis): transpose them next to each other first");
            }

            bool keep = (n.Src.Attribute("keepdims")?.I ?? 1) != 0;
            int a0 = axes[0], a1 = axes[axes.Length - 1];
            int[] reduced = xs.Where((_, i) => i < a0 || i > a1).ToArray();
            string baseName = LayerName(n.Src);
            string input = n.In[0];
            if (axes.Length > 1)
            {
                int merged = 1;
                for (int i = a0; i <= a1; i++)
                {
                    merged *= xs[i];
                }

                int[] mergedShape = xs.Take(a0).Concat(new[] { merged }).Concat(xs.Skip(a1 + 1)).ToArray();
                string flat = n.Out + "_merged";
                AddRaw(new ReshapeLayer { Shape = mergedShape }, baseName + "_merge", flat, input);
                Produce(flat, mergedShape, input);
                input = flat;
            }

            string pooled = keep ? n.Out + "_pooled" : n.Out;
            AddRaw(new AvgPoolLayer { Axis = a0 }, baseName, pooled, input);
            Produce(pooled, reduced, n.Out);
            if (keep)
            {
                int[] kept = xs.Select((d, i) => i >= a0 && i <= a1 ? 1 : d).ToArray();
                AddRaw(new ReshapeLayer { Shape = kept }, baseName + "_keepdims", n.Out, pooled);
                Produce(n.Out, kept);
            }

            if (axes.Length > 1)
            {
                notes.Add($"{n.Src.Place}: ReduceMean over axes [{string.Join(", ", axes)}] mapped to Reshape + AvgPool over the merged axis");
            }
        }

        private void AddRaw(LayerSpec layer, string name, string output, string input)
        {
            layer.Name = name;
            layer.Inputs.Add(Name(input));
            layer.Output = Name(output);
            spec.Layers.Add(layer);
        }

        /// <summary>AveragePool whose kernel covers the whole map (torch's nn.AvgPool2d(H) on an HxW map, as MLPerf Tiny writes it) is a global average pool.</summary>
        private void LowerAveragePool(Node n)
        {
            OnnxNode src = n.Src;
            int[] xs = ShapeOf(n.In[0], src);
            int[] k = src.Attribute("kernel_shape")?.Ints.Select(v => (int)v).ToArray() ?? new int[0];
            int[] own = src.Attribute("pads")?.Ints.Select(v => (int)v).ToArray() ?? new int[4];
            int[] pads = WithPad(src, own);
            bool padded = windowPads.ContainsKey(src.Inputs[0]);
            string autoPad = src.Attribute("auto_pad") is OnnxAttribute ap ? System.Text.Encoding.UTF8.GetString(ap.S) : "NOTSET";
            if (xs.Length == 4 && k.Length == 2 && k[0] == xs[2] && k[1] == xs[3] && pads.All(p => p == 0) && (autoPad == "NOTSET" || autoPad == "VALID"))
            {
                LowerGlobalAveragePool(n);
                notes.Add($"{src.Place}: kernel [{k[0]}, {k[1]}] covers the whole [{xs[2]}, {xs[3]}] map: global average pooling");
                return;
            }

            bool include = (src.Attribute("count_include_pad")?.I ?? 0) != 0;
            CheckAutoPad(src);
            if (xs.Length != 4 || k.Length != 2 || pads.Length != 4)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"AveragePool with kernel [{string.Join(", ", k)}] over [{string.Join(", ", xs)}]: QuantGen pools 2-D windows of NCHW tensors");
            }

            if ((src.Attribute("ceil_mode")?.I ?? 0) != 0)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, "ceil_mode=1 is not supported; export with ceil_mode=False (or pad the input so the windows fit)");
            }

            if (padded && !include && own.Any(p => p != 0))
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, "a Pad before an AveragePool that has its own pads and count_include_pad=0 mixes two divisor rules; export with count_include_pad=True or without the separate Pad");
            }

            int[] strides = Ints2(src, "strides", new[] { 1, 1 }, 2);
            if (pads[0] >= k[0] || pads[2] >= k[0] || pads[1] >= k[1] || pads[3] >= k[1] || xs[2] + pads[0] + pads[2] < k[0] || xs[3] + pads[1] + pads[3] < k[1])
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"AveragePool pads [{string.Join(", ", pads)}] must each be smaller than the kernel [{k[0]}, {k[1]}] and the kernel must fit the padded [{xs[2]}, {xs[3]}] map");
            }

            // The zeros of a folded Pad are real inputs of every window: ONNX divides by the whole window, count_include_pad = 1.
            var pool = new AvgPool2dLayer { Kernel = k, Strides = strides, Pads = pads, CountIncludePad = include || padded };
            Add(pool, n, n.Out, n.In[0]);
            Produce(n.Out, new[] { xs[0], xs[1], ((xs[2] + pads[0] + pads[2] - k[0]) / strides[0]) + 1, ((xs[3] + pads[1] + pads[3] - k[1]) / strides[1]) + 1 });
        }
    }
}
