using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Running;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Quantization;

namespace QuantGen.Benchmarks
{
    /// <summary>
    ///   dotnet run -c Release --project samples/Benchmarks -- quantize     re-quantize encoder_block (C# PTQ) and rewrite its files
    ///   dotnet run -c Release --project samples/Benchmarks -- zoo-info     the zoo models' layers, MACs and kernels
    ///   dotnet run -c Release --project samples/Benchmarks -- gemv-probe   one-row Dense: the GEMM's tile vs GemvVnniHigh
    ///   dotnet run -c Release --project samples/Benchmarks -- gemm-probe   GMAC/s of the VNNI GEMM by output channel count
    ///   dotnet run -c Release --project samples/Benchmarks -- zoo-ratio [rounds] [cnn|mlp]   zoo models vs ORT, interleaved best-of-rounds medians
    ///   dotnet run -c Release --project samples/Benchmarks -- tile-probe   multiply loop vs the rest of the implicit conv tiles; the two residual Add kernels
    ///   dotnet run -c Release --project samples/Benchmarks -- batch-probe  per sample: 32 single-sample Infer calls vs one batch of 32, interleaved
    ///   dotnet run -c Release --project samples/Benchmarks -- stem-ab [n]   RGB 3x3 stem, 16 channels: 4-channel image vs stacked image (7 quads), interleaved
    ///   dotnet run -c Release --project samples/Benchmarks -- res-probe    ResNet-8's conv tiles: int64 vs int32 multiply-high requantization, interleaved
    ///   dotnet run -c Release --project samples/Benchmarks -- stem-probe   the few-channel stems: implicit tiles vs input packed into quads, interleaved
    ///   dotnet run -c Release --project samples/Benchmarks -- store-ab [rounds]   the 32-channel tiles' ymm vs zmm store (QuantGenPointwiseKernels.ZmmStore), interleaved
    ///   dotnet run -c Release --project samples/Benchmarks -- implicit32-probe   implicit im2col conv tiles 6 x 16 vs 4 x 32 (DS-CNN's stem, ResNet-8's convs), interleaved
    ///   dotnet run -c Release --project samples/Benchmarks -- conv-probe   explicit vs implicit im2col conv kernels, interleaved
    ///   dotnet run -c Release --project samples/Benchmarks -- dw-regs      int32-lane vs tap quads built in registers, interleaved (wall and CPU time)
    ///   dotnet run -c Release --project samples/Benchmarks -- dw-probe     int32-lane vs tap-quad depthwise kernels, interleaved
    ///   dotnet run -c Release --project samples/Benchmarks -- zoo-layers [model...]  per-layer Stopwatch profile of the zoo models
    ///   dotnet run -c Release --project samples/Benchmarks -- pw-probe [rounds]   pointwise GEMM: int64 vs multiply-high store, A/B in one process
    ///   dotnet run -c Release --project samples/Benchmarks -- align-probe [rounds] [alias]   pointwise GEMM with its weights / output at offsets from 64 bytes (or, alias, its output at offsets from its input mod 4096)
    ///   dotnet run -c Release --project samples/Benchmarks -- tfm-layers [model...]  per-layer profile of DeiT-Tiny and the zoo MLPs
    ///   dotnet run -c Release --project samples/Benchmarks -- check        one pass of every runner: agreement and bytes per call
    ///   dotnet run -c Release --project samples/Benchmarks -- --filter *   BenchmarkDotNet (any BenchmarkDotNet arguments)
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length > 0 && args[0] == "quantize")
            {
                return QuantizeEncoder();
            }

            if (args.Length > 0 && args[0] == "zoo-info")
            {
                foreach (global::QuantGen.ModelInfo info in new[] { ResNet8.Info, DsCnn.Info, MobileNetV1.Info })
                {
                    Console.WriteLine($"{info.Name}: {info.Macs:N0} MACs");
                    foreach (global::QuantGen.LayerInfo l in info.Layers)
                    {
                        Console.WriteLine($"  {l.Name,-40} {l.Op,-10} {l.Macs,10:N0} {l.AccumulatorBits,3} {l.Kernel}");
                    }
                }

                return 0;
            }

            if (args.Length > 0 && args[0] == "attn-probe")
            {
                return AttnProbe.Run();
            }

            if (args.Length > 0 && args[0] == "gemv-probe")
            {
                return GemvProbe.Run();
            }

            if (args.Length > 0 && args[0] == "gemm-probe")
            {
                return GemmProbe.Run();
            }

            if (args.Length > 0 && args[0] == "zoo-ratio")
            {
                return ZooRatio.Run(args.Skip(1).ToArray());
            }

            if (args.Length > 0 && args[0] == "tile-probe")
            {
                return TileProbe.Run();
            }

            if (args.Length > 0 && args[0] == "batch-probe")
            {
                return ResProbe.Batch();
            }

            if (args.Length > 0 && args[0] == "stem-probe")
            {
                return ResProbe.Stems();
            }

            if (args.Length > 0 && args[0] == "stem-ab")
            {
                return StemStackProbe.Run(args);
            }

            if (args.Length > 0 && args[0] == "res-probe")
            {
                return ResProbe.Run();
            }

            if (args.Length > 0 && args[0] == "store-ab")
            {
                return StoreAbProbe.Run(args.Skip(1).ToArray());
            }

            if (args.Length > 0 && args[0] == "implicit32-probe")
            {
                return Implicit32Probe.Run();
            }

            if (args.Length > 0 && args[0] == "conv-probe")
            {
                return ConvProbe.Run();
            }

            if (args.Length > 0 && args[0] == "dw-regs")
            {
                return DwRegsProbe.Run();
            }

            if (args.Length > 0 && args[0] == "dw-split")
            {
                return DwSplitProbe.Run();
            }

            if (args.Length > 0 && args[0] == "dw-probe")
            {
                return DwProbe.Run();
            }

            if (args.Length > 0 && args[0] == "align-probe")
            {
                return AlignProbe.Run(args.Skip(1).ToArray());
            }

            if (args.Length > 0 && args[0] == "pw-alias")
            {
                return PwAliasProbe.Run(args.Skip(1).ToArray());
            }

            if (args.Length > 0 && args[0] == "pad-out-probe")
            {
                return PadOutProbe.Run(args.Skip(1).ToArray());
            }

            if (args.Length > 0 && args[0] == "build-ab")
            {
                return BuildAbProbe.Run(args.Skip(1).ToArray());
            }

            if (args.Length > 0 && args[0] == "pw-probe")
            {
                return PwProbe.Run(args.Skip(1).ToArray());
            }

            if (args.Length > 0 && args[0] == "zoo-layers")
            {
                return ZooProfile.Run(args.Skip(1).ToArray());
            }

            if (args.Length > 0 && args[0] == "tfm-layers")
            {
                return TransformerProfile.Run(args.Skip(1).ToArray());
            }

            if (args.Length > 0 && args[0] == "check")
            {
                return Check.Run();
            }

            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, new ShortConfig());
            return 0;
        }

        private static int QuantizeEncoder()
        {
            string models = Inputs.ModelsDirectory;
            ModelGraph floatGraph = ModelLoader.Load(Path.Combine(models, "encoder_block.float.qmodel.json")).GetGraphOrThrow();
            List<float[]> calibration = Enumerable.Range(0, 16).Select(i => Inputs.EncoderTokens(1000 + i)).ToList();
            QuantizedModel q = PostTrainingQuantizer.Quantize(floatGraph, calibration, new QuantizationOptions { Name = "encoder_block" });
            q.Save(Path.Combine(models, "encoder_block.qmodel.json"));
            Console.WriteLine("wrote encoder_block.qmodel.json and " + q.Spec.Weights);
            return 0;
        }
    }
}
