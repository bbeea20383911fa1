namespace QuantGen.Tasks
{
    internal static class Placeholder
    {
    }
}
