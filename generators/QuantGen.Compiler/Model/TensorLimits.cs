namespace QuantGen.Model
{
    /// <summary>Bounds that keep a hostile or broken file from making the reader allocate without limit.</summary>
    public static class TensorLimits
    {
        /// <summary>Most elements in one tensor (256 Mi).</summary>
        public const long MaxElements = 1L << 28;

        /// <summary>Largest weights file accepted (2 GiB - 1, the most one .NET array holds).</summary>
        public const long MaxWeightsBytes = int.MaxValue;

        /// <summary>Largest safetensors JSON header accepted.</summary>
        public const long MaxHeaderBytes = 100L * 1024 * 1024;
    }
}
