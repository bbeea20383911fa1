using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The test classes that switch QuantGenPointwiseKernels.ZmmStore (the 32-channel tiles' ymm or zmm store form, a
    /// process-wide setting) to run both forms: one collection, so that they run one after the other and each sees the
    /// form it set.
    /// </summary>
    [CollectionDefinition(Name)]
    public sealed class StoreFormCollection
    {
        public const string Name = "QuantGenPointwiseKernels.ZmmStore";
    }
}
