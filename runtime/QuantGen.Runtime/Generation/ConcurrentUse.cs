using System;
using System.Diagnostics.CodeAnalysis;

namespace QuantGen.Generation
{
    /// <summary>
    /// The exception a generated model throws when it detects two calls on one instance at the same time (docs/generator.md,
    /// "Threads"). Out of line so the guard in every generated entry point stays a compare-exchange and a branch. Not for
    /// hand-written code.
    /// </summary>
    public static class ConcurrentUse
    {
        /// <summary>The message, for tests and logs: names the class and says what to do instead.</summary>
        public static string Message(string model) =>
            $"{model}: this instance is already running a call on another thread. A generated model instance owns scratch buffers and is not thread-safe: " +
            $"create one instance per thread (the weights are static and shared), use InferParallel for a batch, or take instances from a pool.";

        [DoesNotReturn]
        public static void Throw(string model) => throw new InvalidOperationException(Message(model));
    }
}
