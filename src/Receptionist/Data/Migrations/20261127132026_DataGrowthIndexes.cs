using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class DataGrowthIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_calls_business_id_received_at",
                table: "calls");

            migrationBuilder.CreateIndex(
                name: "ix_calls_business_id_outcome_received_at_id",
                table: "calls",
                columns: new[] { "business_id", "outcome", "received_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_calls_business_id_received_at_id",
                table: "calls",
                columns: new[] { "business_id", "received_at", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_calls_business_id_outcome_received_at_id",
                table: "calls");

            migrationBuilder.DropIndex(
                name: "ix_calls_business_id_received_at_id",
                table: "calls");

            migrationBuilder.CreateIndex(
                name: "ix_calls_business_id_received_at",
                table: "calls",
                columns: new[] { "business_id", "received_at" });
        }
    }
}
