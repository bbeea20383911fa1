using System;
using System.Diagnostics;
using System.Linq;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `check`: one quick pass (Stopwatch medians, not BenchmarkDotNet) over every runner: the generated code must equal the
    /// reference interpreter; ONNX Runtime's outputs are compared with the dequantized integer outputs (they differ by the
    /// quantization error, not by a bug); bytes allocated per call are read from the GC.
    /// </summary>
    public static class Check
    {
        public static int Run()
        {
            bool ok = true;
            foreach (string model in new[] { "digits_mlp", "encoder_block" })
            {
                using var w = new Workload(model, 1);
                w.Generated();
                int[] expected = w.Reference(0);
                int mismatches = expected.Where((v, i) => v != w.QuantOutputs[i]).Count();
                ok &= mismatches == 0;
                double scale = model == "digits_mlp" ? DigitsMlp.Info.OutputScale : EncoderBlock.Info.OutputScale;
                long zero = model == "digits_mlp" ? DigitsMlp.Info.OutputZeroPoint : EncoderBlock.Info.OutputZeroPoint;
                w.OrtFloat();
                w.OrtQdq();
                double dFloat = w.OrtFloatOutputs.Select((v, i) => Math.Abs(v - (scale * (w.QuantOutputs[i] - zero)))).Max();
                double dQdq = w.OrtQdqOutputs.Select((v, i) => Math.Abs(v - (scale * (w.QuantOutputs[i] - zero)))).Max();
                Console.WriteLine($"{model}: generated vs reference {mismatches} mismatches of {expected.Length}; max |ORT float - integer| {dFloat:F4}, max |ORT QDQ - integer| {dQdq:F4} (output scale {scale:G4})");
                Console.WriteLine($"  generated  {Time(w.Generated),10:F2} us   {Bytes(w.Generated)} B/call");
                Console.WriteLine($"  ORT float  {Time(w.OrtFloat),10:F2} us   {Bytes(w.OrtFloat)} B/call");
                Console.WriteLine($"  ORT QDQ    {Time(w.OrtQdq),10:F2} us   {Bytes(w.OrtQdq)} B/call");
            }

            var encoder = new EncoderBlock();
            double total = 0;
            foreach (LayerRunner l in LayerRunner.ForEncoder(encoder))
            {
                double us = Time(l.Run);
                total += us;
                long macs = EncoderBlock.Info.Layers.First(i => i.Name == l.Name).Macs;
                Console.WriteLine($"  layer {l.Name,-14} {l.Op,-10} {us,9:F1} us {(macs > 0 ? (macs / us / 1000).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " GMAC/s" : string.Empty)}");
            }

            Console.WriteLine($"  sum of layers {total:F1} us");
            return ok ? 0 : 1;
        }

        /// <summary>
        /// Median microseconds per call of <paramref name="samples"/> timed samples after <paramref name="warmup"/> calls; a
        /// sample whose single call takes under <paramref name="batchBelowMs"/> ms is retimed over <paramref name="batchReps"/> calls.
        /// </summary>
        internal static double Time(Action a, int warmup = 20, int samples = 31, double batchBelowMs = 1, int batchReps = 1000)
        {
            var sw = new Stopwatch();
            for (int i = 0; i < warmup; i++)
            {
                a();
            }

            double[] t = new double[samples];
            for (int s = 0; s < t.Length; s++)
            {
                int reps = 1;
                sw.Restart();
                a();
                sw.Stop();
                if (sw.Elapsed.TotalMilliseconds < batchBelowMs)
                {
                    reps = batchReps;
                    sw.Restart();
                    for (int i = 0; i < reps; i++)
                    {
                        a();
                    }

                    sw.Stop();
                }

                t[s] = sw.Elapsed.TotalMilliseconds * 1000 / reps;
            }

            Array.Sort(t);
            return t[t.Length / 2];
        }

        internal static long Bytes(Action a)
        {
            a();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                a();
            }

            return (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        }
    }
}
