using System;

namespace QuantGen.Tests.Numerics
{
    /// <summary>SplitMix64: a tiny deterministic generator, so measured tables do not depend on System.Random's
    /// implementation or the runtime version.</summary>
    internal sealed class TestRng
    {
        private ulong _state;

        public TestRng(ulong seed) => _state = seed;

        public ulong NextULong()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform integer in [lo, hi] (inclusive); hi - lo &lt; 2^32.</summary>
        public int NextInt(int lo, int hi)
        {
            ulong span = (ulong)((long)hi - lo + 1);
            return (int)(lo + (long)(NextULong() % span));
        }

        /// <summary>Uniform double in [0, 1).</summary>
        public double NextDouble() => (NextULong() >> 11) * (1.0 / 9007199254740992.0);

        /// <summary>Log-uniform double in [lo, hi].</summary>
        public double NextLogUniform(double lo, double hi) => lo * Math.Exp(NextDouble() * Math.Log(hi / lo));
    }
}
