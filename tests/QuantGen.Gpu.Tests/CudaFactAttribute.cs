using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace QuantGen.Tests.Gpu
{
    /// <summary>
    /// A fact that runs only when ILGPU finds a CUDA device; otherwise xunit reports it as skipped with the reason.
    /// (xunit 2 has no dynamic skip: the attribute sets Skip in its constructor.)
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    public sealed class CudaFactAttribute : FactAttribute
    {
        private static readonly Lazy<string?> Missing = new Lazy<string?>(Probe);

        public CudaFactAttribute()
        {
            if (Missing.Value is string reason)
            {
                Skip = reason;
            }
        }

        /// <summary>Null when a CUDA device exists, else why not.</summary>
        public static string? Probe()
        {
            try
            {
                using Context context = Context.Create(b => b.Cuda());
                int count = context.Devices.Count(d => d.AcceleratorType == AcceleratorType.Cuda);
                return count > 0 ? null : "no CUDA device: ILGPU found no CUDA accelerator on this machine (driver or GPU absent)";
            }
            catch (Exception e)
            {
                return "no CUDA device: ILGPU could not initialise CUDA (" + e.GetType().Name + ": " + e.Message + ")";
            }
        }
    }
}
