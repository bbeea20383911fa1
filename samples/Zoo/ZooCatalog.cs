using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Onnx;
using QuantGen.Quantization;

namespace QuantGen.Samples.Zoo
{
    /// <summary>One named input of a zoo model as ONNX declares it: its shape (batch 1) and whether ORT is fed int64 (token ids, masks) or float.</summary>
    public sealed class ZooInput
    {
        /// <summary><paramref name="name"/>: the ONNX input's name; empty for a single-input model (ORT's one input, whatever its name).</summary>
        public ZooInput(string name, int[] shape, bool int64 = false)
        {
            Name = name;
            Shape = shape;
            Int64 = int64;
        }

        public string Name { get; }

        public int[] Shape { get; }

        public bool Int64 { get; }

        public int Size => Shape.Aggregate(1, (a, b) => a * b);
    }

    /// <summary>One architecture of the zoo: its input(s) and how make_zoo.py shaped the digits for it.</summary>
    public sealed class ZooModel
    {
        public ZooModel(string name, int[] shape, bool classifier, Func<Sample, float[]?> shapeSample)
            : this(name, new[] { new ZooInput(string.Empty, shape) }, classifier, shapeSample)
        {
        }

        /// <summary>A model with several named inputs; <paramref name="shapeSample"/> returns them one after the other (spec order).</summary>
        public ZooModel(string name, IReadOnlyList<ZooInput> inputs, bool classifier, Func<Sample, float[]?> shapeSample)
        {
            Name = name;
            Inputs = inputs;
            Classifier = classifier;
            ShapeSample = shapeSample;
        }

        public string Name { get; }

        /// <summary>The ONNX inputs in graph order (one for every model but BERT-tiny).</summary>
        public IReadOnlyList<ZooInput> Inputs { get; }

        /// <summary>The first ONNX input's shape (batch 1): the only one of a single-input model.</summary>
        public int[] Shape => Inputs[0].Shape;

        /// <summary>Values of one sample: every input's elements, one input after the other.</summary>
        public int Size => Inputs.Sum(i => i.Size);

        /// <summary>True when the output is class scores (top-1 is meaningful); the autoencoder reconstructs its input.</summary>
        public bool Classifier { get; }

        /// <summary>A digits sample as this model's input (null: the model does not take this sample, e.g. digits 5-9 for the jet tagger).</summary>
        public Func<Sample, float[]?> ShapeSample { get; }
    }

    /// <summary>One committed file of the zoo: a model and the way it was exported.</summary>
    public sealed class ZooEntry
    {
        public ZooEntry(ZooModel model, string export)
        {
            Model = model;
            Export = export;
        }

        public ZooModel Model { get; }

        /// <summary>float13, float17, qat, convert or ortqdq.</summary>
        public string Export { get; }

        public string Key => Model.Name + "_" + Export;

        public string File => Key + ".onnx";

        public bool IsTransformer => Model.Name.StartsWith("deit", StringComparison.Ordinal) || Model.Name.StartsWith("bert", StringComparison.Ordinal);

        /// <summary>
        /// The activation width the zoo quantizes this float export with (weights stay 8-bit): 16 for DeiT-Tiny's float exports,
        /// 8 for every other file. DeiT-Tiny's W8A8 post-training quantization agrees with ORT float on top-1 for 92/100 test
        /// digits, W8A16 with 8-bit attention (<see cref="AttentionBits"/>) on 97/100 and 442/450 (docs/import.md, "DeiT-Tiny's
        /// float rows"): the issue's 97 %.
        /// </summary>
        public int ActivationBits => Model == ZooCatalog.DeitTiny && Export.StartsWith("float", StringComparison.Ordinal) ? 16 : 8;

        /// <summary>The attention layers' width where <see cref="ActivationBits"/> is 16 (<see cref="ActivationWidths.AttentionLayers"/>: int32 accumulators), else null.</summary>
        public int? AttentionBits => ActivationBits == 16 ? 8 : null;

        /// <summary>How the table names the quantization of a float export against ORT float.</summary>
        public string FloatPrecision => ActivationBits == 16 ? "W8A16 (attention W8A8)" : "W8A8";

        public override string ToString() => Key;
    }

    /// <summary>An imported zoo file: the quantized model, or the import's diagnostics.</summary>
    public sealed class ZooImport
    {
        public ZooImport(ZooEntry entry, OnnxImportResult? result, IReadOnlyList<ModelDiagnostic> diagnostics, string hash)
        {
            Entry = entry;
            Result = result;
            Diagnostics = diagnostics;
            Hash = hash;
        }

        public ZooEntry Entry { get; }

        public OnnxImportResult? Result { get; }

        public QuantizedModel? Model => Result?.Model;

        public IReadOnlyList<ModelDiagnostic> Diagnostics { get; }

        /// <summary>SHA-256 of the imported spec and weights: two exports that import to the same model share it.</summary>
        public string Hash { get; }
    }

    /// <summary>
    /// The zoo of samples/zoo/models (written once by make_zoo.py): the architectures, the inputs make_zoo.py trained
    /// them on (the 8x8 digits resized per model, re-implemented here so nothing needs Python), and the import of each
    /// file: QDQ exports with their own scales, float exports through the post-training quantizer calibrated on the first
    /// 32 training samples (the samples make_zoo.py calibrated its ortqdq export on).
    /// </summary>
    public static class ZooCatalog
    {
        public const int CalibrationSamples = 32;

        /// <summary>DeiT-Tiny's float interpreter is slow (224x224 images, 12 blocks): 16 samples, as make_zoo.py calibrated its ortqdq export.</summary>
        public const int DeitCalibrationSamples = 16;

        public static int CalibrationCount(ZooModel m) => m == DeitTiny ? DeitCalibrationSamples : CalibrationSamples;

        public static readonly ZooModel JetTagger = new ZooModel("jet_tagger", new[] { 1, 16 }, true, s => s.Label < 5 ? AvgPool2x2(Pixels(s)) : null);
        public static readonly ZooModel AdAutoencoder = new ZooModel("ad_autoencoder", new[] { 1, 640 }, false, s => Tile(Pixels(s), 10));
        public static readonly ZooModel ResNet8 = new ZooModel("resnet8", new[] { 1, 3, 32, 32 }, true, s => Channels(Bilinear(Pixels(s), 8, 8, 32, 32), 3));
        public static readonly ZooModel DsCnn = new ZooModel("ds_cnn", new[] { 1, 1, 49, 10 }, true, s => Bilinear(Pixels(s), 8, 8, 49, 10));
        public static readonly ZooModel MobileNetV1 = new ZooModel("mobilenet_v1", new[] { 1, 3, 96, 96 }, true, s => Channels(Bilinear(Pixels(s), 8, 8, 96, 96), 3));

        /// <summary>DeiT-Tiny (random backbone, final LayerNorm affine and head trained by make_zoo.py on the digits): the digits bilinear to 224x224, 3 channels.</summary>
        public static readonly ZooModel DeitTiny = new ZooModel("deit_tiny", new[] { 1, 3, 224, 224 }, true, s => Channels(Bilinear(Pixels(s), 8, 8, 224, 224), 3));

        /// <summary>BERT-tiny length: [CLS], the 64 pixels as tokens, 7 [PAD] (make_zoo.py's text_data).</summary>
        public const int BertLength = 72;

        /// <summary>
        /// BERT-tiny (trained by make_zoo.py on the digits as tokens): int64 input_ids [1, 72] = [CLS]=1, pixel value + 3 for
        /// the 64 pixels, [PAD]=0 x 7; int64 attention_mask [1, 72] = 1 on the 65 real tokens, 0 on the padding.
        /// </summary>
        public static readonly ZooModel BertTiny = new ZooModel(
            "bert_tiny",
            new[] { new ZooInput("input_ids", new[] { 1, BertLength }, int64: true), new ZooInput("attention_mask", new[] { 1, BertLength }, int64: true) },
            true,
            BertTokens);

        public static IReadOnlyList<ZooModel> Models { get; } = new[] { JetTagger, AdAutoencoder, ResNet8, DsCnn, MobileNetV1, DeitTiny, BertTiny };

        public static IReadOnlyList<string> Exports { get; } = new[] { "float13", "float17", "qat", "convert", "ortqdq" };

        public static string Directory => Path.GetDirectoryName(LabeledDataset.FindUpwards(AppContext.BaseDirectory, "samples/zoo/models/results.json"))!;

        /// <summary>
        /// The file of an entry: the committed .onnx, or for an export committed as a skeleton (DeiT-Tiny's float13 and
        /// float17, 22.9 MB each) the full file written by <see cref="OnnxSkeleton"/> into <see cref="CacheDirectory"/>
        /// (once per process; reused across runs while the skeleton, its sidecar and its source are unchanged). A stale or
        /// broken skeleton throws <see cref="OnnxImportException"/> (QG4013).
        /// </summary>
        public static string PathOf(ZooEntry e)
        {
            string committed = Path.Combine(Directory, e.File);
            return File.Exists(committed) || !File.Exists(SkeletonOf(e)) ? committed : Materialized.GetOrAdd(e.Key, _ => new Lazy<string>(() => Materialize(e))).Value;
        }

        /// <summary>The committed skeleton of an export too large to commit (samples/zoo/make_deit_skeleton.py); its sidecar is the same name with .json.</summary>
        public static string SkeletonOf(ZooEntry e) => Path.Combine(Directory, e.Key + ".skeleton.bin");

        /// <summary>Where skeleton exports are written in full: $QUANTGEN_ZOO_CACHE, else quantgen-zoo under the temp directory.</summary>
        public static string CacheDirectory => Environment.GetEnvironmentVariable("QUANTGEN_ZOO_CACHE") is string d && d.Length > 0 ? d : Path.Combine(Path.GetTempPath(), "quantgen-zoo");

        /// <summary>True when the entry's file is committed or written at run time from a committed skeleton.</summary>
        public static bool IsSkeleton(ZooEntry e) => !File.Exists(Path.Combine(Directory, e.File)) && File.Exists(SkeletonOf(e));

        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> Materialized = new System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>>(StringComparer.Ordinal);

        private static string Materialize(ZooEntry e)
        {
            string skeleton = SkeletonOf(e);
            return OnnxSkeleton.Materialize(skeleton, Path.ChangeExtension(skeleton, ".json"), Path.Combine(Directory, e.Model.Name + "_ortqdq.onnx"), CacheDirectory, e.File);
        }

        /// <summary>
        /// QUANTGEN_ZOO_DEIT_FLOAT=1 adds the exports committed as skeletons (DeiT-Tiny float13/float17) to <see cref="Entries"/>:
        /// off by default (CI time: two more DeiT-Tiny units, quantized W8A16 with 8-bit attention, whose int16 layers run the
        /// slow paths; docs/import.md has the measured run).
        /// </summary>
        public static bool IncludeSkeletons => Environment.GetEnvironmentVariable("QUANTGEN_ZOO_DEIT_FLOAT") == "1";

        /// <summary>Every committed file of the models above (with <see cref="IncludeSkeletons"/>, the skeleton exports too), in table order.</summary>
        public static IReadOnlyList<ZooEntry> Entries() =>
            (from m in Models from x in Exports let e = new ZooEntry(m, x) where File.Exists(Path.Combine(Directory, e.File)) || (IncludeSkeletons && File.Exists(SkeletonOf(e))) select e).ToList();

        private static readonly Lazy<LabeledDataset> Digits = new Lazy<LabeledDataset>(() =>
            LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, "samples/data/digits/digits.csv")));

        /// <summary>The digits of a split ("train" or "test") as this model's inputs, with their labels, in file order.</summary>
        public static List<(float[] Input, int Label)> Data(ZooModel m, string split, int count)
        {
            return Digits.Value.Split(split).Select(s => (Input: m.ShapeSample(s), s.Label)).Where(p => p.Input != null).Take(count).Select(p => (p.Input!, p.Label)).ToList();
        }

        /// <summary>Imports one file; never throws for a file the importer rejects (its diagnostics are kept).</summary>
        public static ZooImport Import(ZooEntry e) => Import(e, new QuantizationOptions());

        /// <summary>Imports one file with the given quantizer settings (float exports: range method, bias correction, ...) and the entry's activation widths.</summary>
        public static ZooImport Import(ZooEntry e, QuantizationOptions quantization) => Import(e, quantization, CalibrationCount(e.Model));

        /// <summary>Imports one file with the given quantizer settings, the first <paramref name="calibration"/> training samples (float exports) and the entry's activation widths.</summary>
        public static ZooImport Import(ZooEntry e, QuantizationOptions quantization, int calibration) => Import(e, quantization, calibration, e.ActivationBits, e.AttentionBits);

        /// <summary>As above, every layer of a float export quantized with <paramref name="activationBits"/>-bit activations (weights stay 8-bit).</summary>
        public static ZooImport Import(ZooEntry e, QuantizationOptions quantization, int calibration, int activationBits) => Import(e, quantization, calibration, activationBits, null);

        /// <summary>
        /// As above; <paramref name="attentionBits"/> (with 16-bit activations): the layers of the attention (see
        /// <see cref="ActivationWidths.AttentionLayers"/>) get that width instead, so their int32 accumulators keep their proof.
        /// </summary>
        public static ZooImport Import(ZooEntry e, QuantizationOptions quantization, int calibration, int activationBits, int? attentionBits)
        {
            var options = new OnnxImportOptions { Name = e.Model.Name, Quantization = quantization };
            try
            {
                string path = PathOf(e);
                LoweredModel lowered = OnnxImporter.Lower(path, options);
                if (activationBits != 8 && !lowered.IsQdq)
                {
                    options.Precisions = ActivationWidths.For(lowered.Spec.Layers, activationBits, attentionBits);
                }

                OnnxImportResult r = lowered.IsQdq
                    ? OnnxImporter.ImportQdq(path, options)
                    : OnnxImporter.ImportFloat(path, Data(e.Model, "train", calibration).Select(p => p.Input).ToList(), options);
                return new ZooImport(e, r, Array.Empty<ModelDiagnostic>(), Hash(r.Model));
            }
            catch (OnnxImportException x)
            {
                return new ZooImport(e, null, x.Diagnostics, string.Empty);
            }
        }


        private static string Hash(QuantizedModel m)
        {
            using var sha = SHA256.Create();
            byte[] spec = Encoding.UTF8.GetBytes(SpecWriter.ToJson(m.Spec));
            sha.TransformBlock(spec, 0, spec.Length, null, 0);
            foreach (RawTensor t in m.Weights)
            {
                byte[] name = Encoding.UTF8.GetBytes(t.Name);
                sha.TransformBlock(name, 0, name.Length, null, 0);
                sha.TransformBlock(t.Data, 0, t.Data.Length, null, 0);
            }

            sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
            return Convert.ToHexString(sha.Hash!);
        }

        /// <summary>make_zoo.py's text_data: ids then mask, as floats (the calibration and ORT helpers split them per input).</summary>
        private static float[] BertTokens(Sample s)
        {
            var x = new float[2 * BertLength];
            x[0] = 1;
            for (int i = 0; i < 64; i++)
            {
                x[1 + i] = (float)Math.Round(s.Features[i]) + 3;
            }

            for (int i = 0; i < 65; i++)
            {
                x[BertLength + i] = 1;
            }

            return x;
        }

        /// <summary>
        /// One float sample (the inputs one after the other) as the integer tensors of the imported model, spec order: index
        /// inputs (token ids) as they are, every other input quantized with the project's rounding rule.
        /// </summary>
        public static int[][] Quantize(ModelGraph g, float[] x)
        {
            var r = new int[g.Inputs.Count][];
            int offset = 0;
            for (int k = 0; k < g.Inputs.Count; k++)
            {
                TensorInfo t = g.Inputs[k];
                r[k] = new int[t.ElementCount];
                for (int i = 0; i < t.ElementCount; i++)
                {
                    float v = x[offset + i];
                    r[k][i] = t.IsIndex ? checked((int)v) : (int)QuantGen.Numerics.Quantization.Quantize(v, t.Quant!.Scale, t.Quant.ZeroPoint, t.Quant.Type);
                }

                offset += t.ElementCount;
            }

            if (offset != x.Length)
            {
                throw new ArgumentException($"{x.Length} values for inputs of {offset} elements", nameof(x));
            }

            return r;
        }

        private static float[] Pixels(Sample s) => s.Features.Select(v => v / 16f).ToArray();

        /// <summary>F.avg_pool2d(x, 2) of the 8x8 image, flattened: 16 features.</summary>
        private static float[] AvgPool2x2(float[] x)
        {
            var y = new float[16];
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    y[(i * 4) + j] = (x[(2 * i * 8) + (2 * j)] + x[(2 * i * 8) + (2 * j) + 1] + x[(((2 * i) + 1) * 8) + (2 * j)] + x[(((2 * i) + 1) * 8) + (2 * j) + 1]) / 4f;
                }
            }

            return y;
        }

        private static float[] Tile(float[] x, int times) => Enumerable.Range(0, times).SelectMany(_ => x).ToArray();

        private static float[] Channels(float[] x, int c) => Enumerable.Range(0, c).SelectMany(_ => x).ToArray();

        /// <summary>torch's F.interpolate(mode="bilinear", align_corners=False) of one channel (no antialiasing).</summary>
        private static float[] Bilinear(float[] x, int ih, int iw, int oh, int ow)
        {
            var y = new float[oh * ow];
            for (int r = 0; r < oh; r++)
            {
                (int r0, int r1, float lr) = Source(r, ih, oh);
                for (int c = 0; c < ow; c++)
                {
                    (int c0, int c1, float lc) = Source(c, iw, ow);
                    float top = ((1 - lc) * x[(r0 * iw) + c0]) + (lc * x[(r0 * iw) + c1]);
                    float bottom = ((1 - lc) * x[(r1 * iw) + c0]) + (lc * x[(r1 * iw) + c1]);
                    y[(r * ow) + c] = ((1 - lr) * top) + (lr * bottom);
                }
            }

            return y;
        }

        private static (int I0, int I1, float Lambda) Source(int o, int inSize, int outSize)
        {
            float src = Math.Max(0f, ((o + 0.5f) * ((float)inSize / outSize)) - 0.5f);
            int i0 = Math.Min((int)src, inSize - 1);
            int i1 = i0 < inSize - 1 ? i0 + 1 : i0;
            return (i0, i1, src - i0);
        }
    }
}
