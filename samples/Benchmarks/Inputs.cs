using System;
using System.IO;
using QuantGen.Data;

namespace QuantGen.Benchmarks
{
    /// <summary>Deterministic inputs: the same seeds give the same floats on every machine (seeded System.Random is stable).</summary>
    public static class Inputs
    {
        public static string ModelsDirectory => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));

        public const int Tokens = 197, Channels = 192;

        /// <summary>
        /// One encoder-block input [197, 192]: a residual stream like DeiT-Tiny's, per token N(0, 1) scaled by a per-channel
        /// spread in [0.5, 1.5], clipped to the declared range [-4, 4].
        /// </summary>
        public static float[] EncoderTokens(int seed)
        {
            var rng = new Random(seed);
            var spread = new double[Channels];
            var channelRng = new Random(7);
            for (int c = 0; c < Channels; c++)
            {
                spread[c] = 0.5 + channelRng.NextDouble();
            }

            var x = new float[Tokens * Channels];
            for (int i = 0; i < x.Length; i++)
            {
                double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                double g = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2) * spread[i % Channels];
                x[i] = (float)Math.Clamp(g, -4.0, 4.0);
            }

            return x;
        }
    }
}
