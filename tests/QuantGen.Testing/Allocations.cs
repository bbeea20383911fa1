using System;

namespace QuantGen.Testing
{
    /// <summary>Bytes allocated on the calling thread by a piece of code that must allocate nothing.</summary>
    public static class Allocations
    {
        /// <summary>
        /// Runs <paramref name="work"/> once to warm it up, then in <paramref name="rounds"/> measured rounds, and returns the
        /// fewest bytes one round allocated. Code that allocates on every call allocates in every round, so a non-zero
        /// result still fails; what this filters out is a one-off allocation the runtime makes on the thread while a round
        /// runs (seen only on a heavily loaded machine, e.g. when tiered compilation installs code mid-round).
        /// </summary>
        public static long Fewest(Action work, int rounds = 5)
        {
            work();
            long fewest = long.MaxValue;
            for (int r = 0; r < rounds && fewest != 0; r++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                work();
                fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            return fewest;
        }
    }
}
